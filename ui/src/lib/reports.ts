// Pure presentation of the reports, the home screen and the meeting: numbers in words, the
// changes between two periods, the periods people pick, and the rows the charts draw. The
// numbers themselves always come from the backend.
import type { FunnelChange, FunnelReport, Period, ReasonsReport, SourceRow } from './backend';

/** "57%", or a dash when there is nothing to divide. */
export function pct(v: number | null | undefined): string {
  return v === null || v === undefined ? '—' : `${Math.round(v * 10) / 10}%`;
}

/** A change of a rate in percentage points: "+7 pts", "−3.5 pts", "no change". */
export function pointsChange(before: number | null, now: number | null): string {
  if (before === null || now === null) return '';
  const d = Math.round((now - before) * 10) / 10;
  if (d === 0) return 'no change';
  return `${d > 0 ? '+' : '−'}${Math.abs(d)} pts`;
}

/** A change of a count: "+12", "−3", "±0". */
export function countChange(before: number, now: number): string {
  const d = now - before;
  return d === 0 ? '±0' : `${d > 0 ? '+' : '−'}${Math.abs(d)}`;
}

/** Whether a change is good news: more entries and higher rates are, unless `fewerIsBetter`. */
export function trend(before: number | null, now: number | null, fewerIsBetter = false): 'up' | 'down' | 'flat' {
  if (before === null || now === null || before === now) return 'flat';
  const better = fewerIsBetter ? now < before : now > before;
  return better ? 'up' : 'down';
}

/** A count with its noun: "1 opportunity", "3 opportunities". */
export function counted(n: number, one: string, many: string): string {
  return `${n.toLocaleString()} ${n === 1 ? one : many}`;
}

/** Days as people say them: "1.5 days", "1 day", "—". */
export function days(v: number | null | undefined): string {
  if (v === null || v === undefined) return '—';
  return `${v} day${v === 1 ? '' : 's'}`;
}

/** An amount in hundredths of a currency, as money: "€12,500". */
export function money(amountMinor: number | null, currency: string, locale?: string): string {
  if (amountMinor === null) return '—';
  try {
    return new Intl.NumberFormat(locale, {
      style: 'currency',
      currency: currency || 'EUR',
      maximumFractionDigits: 0,
    }).format(amountMinor / 100);
  } catch {
    return `${(amountMinor / 100).toFixed(0)} ${currency}`;
  }
}

function iso(d: Date): string {
  const y = d.getFullYear();
  const m = String(d.getMonth() + 1).padStart(2, '0');
  const day = String(d.getDate()).padStart(2, '0');
  return `${y}-${m}-${day}`;
}

export interface PeriodPreset {
  id: string;
  label: string;
  period: Period;
}

/** The periods people usually look at, ending `today`. */
export function presets(today: Date): PeriodPreset[] {
  const back = (n: number) => {
    const d = new Date(today);
    d.setDate(d.getDate() - (n - 1));
    return iso(d);
  };
  const monthStart = new Date(today.getFullYear(), today.getMonth(), 1);
  const lastMonthStart = new Date(today.getFullYear(), today.getMonth() - 1, 1);
  const lastMonthEnd = new Date(today.getFullYear(), today.getMonth(), 0);
  const quarterStart = new Date(today.getFullYear(), Math.floor(today.getMonth() / 3) * 3, 1);
  return [
    { id: '30', label: 'Last 30 days', period: { from: back(30), to: iso(today) } },
    { id: '90', label: 'Last 90 days', period: { from: back(90), to: iso(today) } },
    { id: 'month', label: 'This month', period: { from: iso(monthStart), to: iso(today) } },
    { id: 'last-month', label: 'Last month', period: { from: iso(lastMonthStart), to: iso(lastMonthEnd) } },
    { id: 'quarter', label: 'This quarter', period: { from: iso(quarterStart), to: iso(today) } },
  ];
}

/** "1 Nov – 30 Nov 2026" */
export function periodText(p: Period, locale?: string): string {
  const f = new Date(`${p.from}T00:00:00`);
  const t = new Date(`${p.to}T00:00:00`);
  const short = new Intl.DateTimeFormat(locale, { day: 'numeric', month: 'short' });
  const long = new Intl.DateTimeFormat(locale, { day: 'numeric', month: 'short', year: 'numeric' });
  return p.from === p.to ? long.format(t) : `${short.format(f)} – ${long.format(t)}`;
}

/** Rows for the funnel chart: entries per stage, this period and (if given) the one before. */
export function funnelRows(changes: FunnelChange[]): { stage: string; now: number; before: number }[] {
  return changes.map((c) => ({ stage: c.stageName, now: c.entriesNow, before: c.entriesBefore }));
}

/** Rows for the funnel chart of one report (no comparison). */
export function funnelEntries(r: FunnelReport): { stage: string; entries: number }[] {
  return r.stages.map((s) => ({ stage: s.name, entries: s.entries }));
}

/** Rows for the Pareto chart: each reason's count and the running share. */
export function paretoRows(r: ReasonsReport): { reason: string; count: number; cumulative: number }[] {
  return r.reasons.map((x) => ({ reason: x.name, count: x.count, cumulative: x.cumulativeShare ?? 0 }));
}

/** Rows for the acceptance chart: accepted and rejected per source. */
export function acceptanceRows(rows: SourceRow[]): { source: string; accepted: number; rejected: number; awaiting: number }[] {
  return rows.map((r) => ({ source: r.label, accepted: r.accepted, rejected: r.rejected, awaiting: r.awaiting }));
}

/** The biggest conversion change, weighed by volume (what a headline names). */
export function headline(changes: FunnelChange[]): FunnelChange | null {
  let best: FunnelChange | null = null;
  let score = 0;
  for (const c of changes) {
    if (c.rateBefore === null || c.rateNow === null || c.nextName === null) continue;
    const s = Math.abs(c.rateNow - c.rateBefore) * Math.min(c.entriesBefore, c.entriesNow);
    if (s > score) {
      score = s;
      best = c;
    }
  }
  return best;
}
