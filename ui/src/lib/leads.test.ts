import { describe, expect, it } from 'vitest';
import type { Activity, HandoffEvent } from './backend';
import { daysSince, mergeTimeline, pagesFor, visibleRange } from './leads';

const event = (at: string, kind = 'accepted'): HandoffEvent => ({
  id: at,
  contactId: 'c',
  kind,
  at,
  actorId: null,
  actorName: null,
  sourceActorName: null,
  by: '',
  fromStage: null,
  toStage: 'sal',
  reason: null,
  reasonName: null,
  channel: null,
  note: '',
  playbook: '',
  status: 'applied',
  problem: null,
});
const activity = (at: string): Activity => ({ id: `a${at}`, kind: 'download', at, detail: 'Guide', actorName: null, assetId: null });

describe('timeline', () => {
  it('merges events and activities newest first', () => {
    const t = mergeTimeline([event('2026-01-02T00:00:00Z'), event('2026-01-05T00:00:00Z')], [activity('2026-01-03T00:00:00Z'), activity('2026-01-05T00:00:00Z')]);
    expect(t.map((e) => `${e.type}@${e.at.slice(8, 10)}`)).toEqual(['event@05', 'activity@05', 'activity@03', 'event@02']);
  });
});

describe('virtual list', () => {
  it('asks only for the pages on screen', () => {
    const r = visibleRange(5200, 520, 52, 100_000, 0);
    expect(r).toEqual({ first: 100, last: 110 });
    expect(pagesFor(r.first, r.last, 100)).toEqual([1]);
    expect(pagesFor(95, 205, 100)).toEqual([0, 1, 2]);
  });
  it('never goes past the end', () => {
    expect(visibleRange(0, 1000, 52, 3)).toEqual({ first: 0, last: 2 });
  });
});

describe('days in stage', () => {
  it('counts whole days', () => {
    expect(daysSince('2026-01-01T00:00:00Z', new Date('2026-01-11T12:00:00Z'))).toBe(10);
  });
});

describe('presentation scale steps', async () => {
  const { nextScale } = await import('./shell/scale');
  it('moves one step at a time and stays within the range', () => {
    expect(nextScale(100, 1)).toBe(110);
    expect(nextScale(100, -1)).toBe(90);
    expect(nextScale(250, 1)).toBe(250);
    expect(nextScale(80, -1)).toBe(80);
    expect(nextScale(105, 1)).toBe(110);
  });
});
