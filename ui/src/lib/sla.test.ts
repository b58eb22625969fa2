import { describe, expect, it } from 'vitest';
import { percent, timeLeft, tone, trendRows, businessHours, staleTarget } from './sla';

describe('sla presentation', () => {
  it('shows compliance as a percentage, or a dash when nothing is judged', () => {
    expect(percent(0.874)).toBe('87%');
    expect(percent(null)).toBe('—');
    expect(tone(0.95)).toBe('ok');
    expect(tone(0.8)).toBe('warn');
    expect(tone(0.5)).toBe('bad');
    expect(tone(null)).toBe('none');
  });

  it('counts down to a deadline and says when it has passed', () => {
    const now = new Date('2026-11-27T10:00:00Z');
    expect(timeLeft('2026-11-27T12:05:00Z', now)).toBe('2 h 05 min');
    expect(timeLeft('2026-11-27T10:45:10Z', now)).toBe('45 min 10 s');
    expect(timeLeft('2026-11-30T14:00:00Z', now)).toBe('3 d 4 h 00 min');
    expect(timeLeft('2026-11-27T09:48:00Z', now)).toBe('overdue by 12 min 00 s');
    expect(businessHours(210)).toBe('3.5 business hours');
  });

  it('pivots the trend into one row per period, in time order', () => {
    const score = (met: number, breached: number) => ({
      met,
      breached,
      pending: 0,
      compliance: met + breached ? met / (met + breached) : null,
    });
    const rows = trendRows([
      { label: '2026-W47', start: '2026-11-16T00:00:00.000Z', side: 'sales', score: score(3, 1) },
      { label: '2026-W46', start: '2026-11-09T00:00:00.000Z', side: 'sales', score: score(1, 1) },
      { label: '2026-W46', start: '2026-11-09T00:00:00.000Z', side: 'marketing', score: score(2, 0) },
    ]);
    expect(rows.map((r) => r.label)).toEqual(['2026-W46', '2026-W47']);
    expect(rows[0]).toMatchObject({ sales: 50, marketing: 100, salesJudged: 2, marketingJudged: 2 });
    expect(rows[1]).toMatchObject({ sales: 75, marketing: null });
  });
});

describe('staleTarget', () => {
  const rt = (amount: number) => ({ type: 'response_time' as const, start: 'handed_over' as const, done: ['accepted' as const], within: { amount, unit: 'hours' as const } });
  it('finds the old target still written in the description', () => {
    const words = 'Sales accepts or rejects every handed-over MQL within 8 business hours.';
    expect(staleTarget(rt(8), rt(6), words)).toBe('8 business hours');
  });
  it('says nothing when the description was updated or the target kept', () => {
    expect(staleTarget(rt(8), rt(6), 'within 6 business hours')).toBeNull();
    expect(staleTarget(rt(8), rt(8), 'within 8 business hours')).toBeNull();
    expect(staleTarget(rt(8), rt(6), 'as fast as we can')).toBeNull();
  });
  it('reads percentages', () => {
    const cr = (p: number) => ({ type: 'conversion_rate' as const, start: 'handed_over' as const, reached: ['accepted' as const], atLeastPercent: p, per: 'quarter' as const });
    expect(staleTarget(cr(60), cr(70), 'At least 60% of MQLs are accepted.')).toBe('60%');
  });
});
