// Pure presentation of the SLA screens: labels, percentages, the countdown text, and the
// trend as rows for the chart and its table. Every verdict (met, breached, pending, time
// left in business hours) is the backend's; nothing here judges an SLA.
import type { EventKind, Score, Side, SlaKind, SlaRule, TrendPoint } from './backend';

export const SLA_KIND_LABELS: Record<SlaKind, string> = {
  response_time: 'Response time',
  first_touch: 'First touch',
  attempts_before_recycle: 'Attempts before recycle',
  reason_required: 'Reason required',
  volume: 'Volume',
  max_time_in_stage: 'Time in stage',
  conversion_rate: 'Conversion rate',
};

/** How a rule names events and stages: the backend's vocabulary, passed in by the screen. */
export interface RuleWords {
  event: (kind: EventKind) => string;
  stage: (key: string) => string;
}

function span(s: { amount: number; unit: 'hours' | 'days' }): string {
  return `${s.amount} business ${s.unit === 'hours' ? 'hour' : 'day'}${s.amount === 1 ? '' : 's'}`;
}

/** The rule in a sentence, in the playbook's words (stage keys shown by their names). */
export function describeRule(rule: SlaRule, words: RuleWords): string {
  const ev = (k: EventKind) => words.event(k).toLowerCase();
  const events = (kinds: EventKind[]) => kinds.map(ev).join(' or ');
  switch (rule.type) {
    case 'response_time':
    case 'first_touch':
      return `from each ${ev(rule.start)} event to the first ${events(rule.done)}, within ${span(rule.within)}`;
    case 'attempts_before_recycle':
      return `no ${events(rule.ending)} after ${ev(rule.countingFrom)} before at least ${rule.atLeast} ${ev(rule.attempt)}s`;
    case 'reason_required':
      return `every ${events(rule.events)} carries an agreed reason${rule.noteRequired ? ' and a note' : ''}`;
    case 'volume':
      return `at least ${rule.atLeast} ${ev(rule.event)} per ${rule.per}`;
    case 'max_time_in_stage':
      return `no stay in ${words.stage(rule.stage)} longer than ${span(rule.within)}`;
    case 'conversion_rate': {
      const goals = [events(rule.reached), rule.reachedStage ? `reaching ${words.stage(rule.reachedStage)}` : '']
        .filter(Boolean)
        .join(' or ');
      return `at least ${rule.atLeastPercent}% of ${ev(rule.start)} followed by ${goals}, per ${rule.per}`;
    }
  }
}

/** `87%`, or an em dash when nothing is judged yet. */
export function percent(compliance: number | null): string {
  return compliance === null ? '—' : `${Math.round(compliance * 100)}%`;
}

/** A tone for a compliance figure: good from 90%, a warning from 75%, else bad. */
export function tone(compliance: number | null): 'ok' | 'warn' | 'bad' | 'none' {
  if (compliance === null) return 'none';
  if (compliance >= 0.9) return 'ok';
  if (compliance >= 0.75) return 'warn';
  return 'bad';
}

/** Judged items (met + breached). */
export function judged(s: Score): number {
  return s.met + s.breached;
}

/**
 * Wall-clock time from `now` to `deadline`: `2 h 05 min`, `45 min 10 s`, `3 d 4 h 00 min`, or
 * `overdue by 12 min` once it has passed.
 */
export function timeLeft(deadline: string, now: Date = new Date()): string {
  const ms = new Date(deadline).getTime() - now.getTime();
  const abs = Math.abs(ms);
  const s = Math.floor(abs / 1000);
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const text = d > 0 ? `${d} d ${h} h ${String(m).padStart(2, '0')} min` : h > 0 ? `${h} h ${String(m).padStart(2, '0')} min` : `${m} min ${String(sec).padStart(2, '0')} s`;
  return ms < 0 ? `overdue by ${text}` : text;
}

/** Business hours from minutes of working time: `3.5 business hours`. */
export function businessHours(minutes: number): string {
  const h = Math.round((minutes / 60) * 10) / 10;
  return `${h} business hour${h === 1 ? '' : 's'}`;
}

export interface TrendRow {
  label: string;
  start: Date;
  marketing: number | null;
  sales: number | null;
  marketingJudged: number;
  salesJudged: number;
}

/** The trend as one row per period with each side's compliance in percent. */
export function trendRows(points: TrendPoint[]): TrendRow[] {
  const rows = new Map<string, TrendRow>();
  for (const p of points) {
    const row = rows.get(p.label) ?? {
      label: p.label,
      start: new Date(p.start),
      marketing: null,
      sales: null,
      marketingJudged: 0,
      salesJudged: 0,
    };
    const value = p.score.compliance === null ? null : Math.round(p.score.compliance * 1000) / 10;
    const side: Side = p.side;
    if (side === 'marketing') {
      row.marketing = value;
      row.marketingJudged = judged(p.score);
    } else {
      row.sales = value;
      row.salesJudged = judged(p.score);
    }
    rows.set(p.label, row);
  }
  return [...rows.values()].sort((a, b) => a.start.getTime() - b.start.getTime());
}

/** The words a rule's target is written in, in any description ("8 business hours",
 *  "8 hours", "60%", "5 attempts"): a pattern per rule kind. */
function targetPattern(rule: SlaRule): RegExp | null {
  const n = (x: number) => String(x).replace('.', '\\.');
  switch (rule.type) {
    case 'response_time':
    case 'first_touch':
    case 'max_time_in_stage':
      return new RegExp(`\\b${n(rule.within.amount)}\\s*(business\\s+|working\\s+)?${rule.within.unit === 'hours' ? 'h(ou)?rs?' : 'days?'}\\b`, 'i');
    case 'attempts_before_recycle':
      return new RegExp(`\\b${n(rule.atLeast)}\\s+(\\w+\\s+)?attempts?\\b`, 'i');
    case 'volume':
      return new RegExp(`\\b${n(rule.atLeast)}\\b`);
    case 'conversion_rate':
      return new RegExp(`\\b${n(rule.atLeastPercent)}\\s*(%|per\\s*cent|percent)`, 'i');
    case 'reason_required':
      return null;
  }
}

/** When a proposal changes the target but its description still states the old one, the
 *  words that are out of date (shown before anyone signs a version that says both). */
export function staleTarget(before: SlaRule, after: SlaRule, description: string): string | null {
  const old = targetPattern(before);
  const now = targetPattern(after);
  if (!old || !now || old.source === now.source) return null;
  const found = description.match(old);
  return found && !now.test(description) ? found[0] : null;
}
