// Pure helpers of the lead screens: the virtual list's window and pages, the merged
// timeline, days in stage. Labels and what an action needs come from the backend.
import type { Activity, HandoffEvent } from './backend';

export type TimelineEntry =
  | { type: 'event'; at: string; event: HandoffEvent }
  | { type: 'activity'; at: string; activity: Activity };

/** Events and activities in one list, newest first; at equal times events come first. */
export function mergeTimeline(events: HandoffEvent[], activities: Activity[]): TimelineEntry[] {
  const all: TimelineEntry[] = [
    ...events.map((event) => ({ type: 'event' as const, at: event.at, event })),
    ...activities.map((activity) => ({ type: 'activity' as const, at: activity.at, activity })),
  ];
  return all.sort((a, b) => b.at.localeCompare(a.at) || (a.type === b.type ? 0 : a.type === 'event' ? -1 : 1));
}

/** Whole days from an RFC 3339 time to `now`. */
export function daysSince(iso: string, now: Date = new Date()): number {
  return Math.max(0, Math.floor((now.getTime() - new Date(iso).getTime()) / 86_400_000));
}

/** The page numbers a virtual list needs for rows `first..last` (inclusive). */
export function pagesFor(first: number, last: number, pageSize: number): number[] {
  const pages: number[] = [];
  for (let p = Math.floor(Math.max(0, first) / pageSize); p <= Math.floor(Math.max(0, last) / pageSize); p++) pages.push(p);
  return pages;
}

/** The visible row window of a scrolled list, with some rows of overscan. */
export function visibleRange(scrollTop: number, height: number, rowHeight: number, total: number, overscan = 8) {
  const first = Math.max(0, Math.floor(scrollTop / rowHeight) - overscan);
  const last = Math.min(total - 1, Math.ceil((scrollTop + height) / rowHeight) + overscan);
  return { first, last };
}

/** An amount in hundredths, in its currency when it has one: `€48,000.00`, `12,500.00`. */
export function formatAmount(minor: number, currency: string): string {
  const value = minor / 100;
  if (/^[A-Z]{3}$/.test(currency)) {
    try {
      return new Intl.NumberFormat(undefined, { style: 'currency', currency }).format(value);
    } catch {
      /* an unknown code: fall through to the plain number */
    }
  }
  const plain = new Intl.NumberFormat(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(value);
  return currency ? `${plain} ${currency}` : plain;
}
