import { describe, expect, it } from 'vitest';
import type { FunnelChange } from './backend';
import { counted, countChange, days, headline, money, pct, periodText, pointsChange, presets, trend } from './reports';

const change = (over: Partial<FunnelChange>): FunnelChange => ({
  stageKey: 'mql',
  stageName: 'MQL',
  nextName: 'SAL',
  entriesBefore: 100,
  entriesNow: 100,
  rateBefore: 50,
  rateNow: 50,
  ...over,
});

describe('numbers in words', () => {
  it('writes rates, changes and days', () => {
    expect(pct(57.14)).toBe('57.1%');
    expect(pct(null)).toBe('—');
    expect(pointsChange(72, 58)).toBe('−14 pts');
    expect(pointsChange(50, 57.5)).toBe('+7.5 pts');
    expect(pointsChange(50, 50)).toBe('no change');
    expect(pointsChange(null, 50)).toBe('');
    expect(countChange(10, 13)).toBe('+3');
    expect(countChange(10, 7)).toBe('−3');
    expect(countChange(4, 4)).toBe('±0');
    expect(days(1)).toBe('1 day');
    expect(days(2.5)).toBe('2.5 days');
    expect(days(null)).toBe('—');
  });

  it('says whether a change is good news', () => {
    expect(trend(10, 12)).toBe('up');
    expect(trend(10, 12, true)).toBe('down');
    expect(trend(10, 10)).toBe('flat');
    expect(trend(null, 3)).toBe('flat');
  });

  it('formats money from hundredths', () => {
    expect(money(1250000, 'EUR', 'en-GB')).toBe('€12,500');
    expect(money(500, 'XXX-not-a-currency', 'en-GB')).toBe('5 XXX-not-a-currency');
  });
});

describe('periods', () => {
  it('offers the usual periods ending today', () => {
    const p = presets(new Date(2026, 10, 27));
    const byId = Object.fromEntries(p.map((x) => [x.id, x.period]));
    expect(byId['30']).toEqual({ from: '2026-10-29', to: '2026-11-27' });
    expect(byId['month']).toEqual({ from: '2026-11-01', to: '2026-11-27' });
    expect(byId['last-month']).toEqual({ from: '2026-10-01', to: '2026-10-31' });
    expect(byId['quarter']).toEqual({ from: '2026-10-01', to: '2026-11-27' });
  });

  it('names a period briefly', () => {
    expect(periodText({ from: '2026-11-01', to: '2026-11-30' }, 'en-GB')).toBe('1 Nov – 30 Nov 2026');
    expect(periodText({ from: '2026-11-27', to: '2026-11-27' }, 'en-GB')).toBe('27 Nov 2026');
  });
});

describe('headline', () => {
  it('names the conversion that moved most, weighed by volume', () => {
    const small = change({ stageKey: 'sql', entriesBefore: 2, entriesNow: 1, rateBefore: 50, rateNow: 100 });
    const big = change({ stageKey: 'mql', entriesBefore: 400, entriesNow: 380, rateBefore: 72, rateNow: 58 });
    expect(headline([small, big])?.stageKey).toBe('mql');
    expect(headline([change({ rateBefore: null })])).toBeNull();
  });
});

it('a count takes its noun in the singular only for one', () => {
  expect(counted(1, 'opportunity', 'opportunities')).toBe('1 opportunity');
  expect(counted(0, 'opportunity', 'opportunities')).toBe('0 opportunities');
  expect(counted(3, 'day', 'days')).toBe('3 days');
});
