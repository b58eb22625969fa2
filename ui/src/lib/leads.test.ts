import { describe, expect, it } from 'vitest';
import type { Activity, AgreementItem, HandoffEvent, Member } from './backend';
import { daysSince, mergeTimeline, pagesFor, queueStage, reasonUse, visibleRange } from './leads';

const event = (at: string, kind = 'accepted'): HandoffEvent => ({
  id: at,
  contactId: 'c',
  kind,
  at,
  actorId: null,
  actorName: null,
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

describe('actions', () => {
  it('knows which actions need a reason', () => {
    expect(reasonUse('rejected')).toBe('reject');
    expect(reasonUse('lost')).toBe('lost');
    expect(reasonUse('accepted')).toBeNull();
  });
  it('counts days in stage', () => {
    expect(daysSince('2026-01-01T00:00:00Z', new Date('2026-01-11T12:00:00Z'))).toBe(10);
  });
});

describe('queueStage', () => {
  const stage = (key: string, actions: { event: 'accepted' | 'attempt'; by: 'marketing' | 'sales' }[]) =>
    ({
      id: key,
      kind: 'stage',
      key,
      name: key,
      inForce: {
        body: { kind: 'stage', side: 'marketing', position: 1, entryCriteria: '', exitCriteria: '', allowedNext: [], actions },
      },
    }) as unknown as AgreementItem;
  const member = (side: 'marketing' | 'sales'): Member => ({
    id: 'm',
    email: 'm@x.example',
    name: 'M',
    side,
    role: 'rep',
    createdAt: '',
    hasKey: true,
  });
  it('is the stage where my side responds to a hand-over, whatever it is called', () => {
    const stages = [stage('working', [{ event: 'attempt', by: 'sales' }]), stage('hot', [{ event: 'accepted', by: 'sales' }])];
    expect(queueStage(stages, member('sales'))).toBe('hot');
    expect(queueStage(stages, member('marketing'))).toBeNull();
    expect(queueStage(stages, null)).toBeNull();
  });
});
