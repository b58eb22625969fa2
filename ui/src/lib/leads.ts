// Pure rules of the lead screens: labels, the page cache of the virtual list, the
// merged timeline, and what an action needs before it can be recorded.
import type { Activity, AgreementItem, EventKind, HandoffEvent, Member } from './backend';

/**
 * The stage of `me`'s queue: the stage whose definition in force lets `me`'s side respond
 * to a hand-over (accept it). Taken from the agreed stage definitions, never from a stage
 * key, since teams rename and redefine their stages.
 */
export function queueStage(stages: AgreementItem[], me: Member | null): string | null {
  if (!me) return null;
  const found = stages.find((s) => {
    const body = s.inForce?.body;
    return body?.kind === 'stage' && body.actions.some((a) => a.event === 'accepted' && a.by === me.side);
  });
  return found?.key ?? null;
}

export const ACTION_LABELS: Record<EventKind, string> = {
  created: 'Created',
  handed_over: 'Hand over to sales',
  accepted: 'Accept',
  rejected: 'Reject',
  attempt: 'Log attempt',
  connected: 'Connected',
  qualified: 'Qualify (SQL)',
  recycled: 'Recycle to nurture',
  disqualified: 'Disqualify',
  converted: 'Convert to opportunity',
  won: 'Won',
  lost: 'Lost',
  reopened: 'Reopen',
  disputed: 'Dispute rejection',
  dispute_upheld: 'Uphold rejection',
  dispute_overturned: 'Overturn rejection',
};

export const EVENT_LABELS: Record<EventKind, string> = {
  created: 'Created',
  handed_over: 'Handed over',
  accepted: 'Accepted',
  rejected: 'Rejected',
  attempt: 'Attempt',
  connected: 'Connected',
  qualified: 'Qualified',
  recycled: 'Recycled',
  disqualified: 'Disqualified',
  converted: 'Converted',
  won: 'Won',
  lost: 'Lost',
  reopened: 'Reopened',
  disputed: 'Rejection disputed',
  dispute_upheld: 'Rejection upheld',
  dispute_overturned: 'Rejection overturned',
};

export const ROLE_LABELS: Record<string, string> = {
  decision_maker: 'Decision maker',
  economic_buyer: 'Economic buyer',
  champion: 'Champion',
  influencer: 'Influencer',
  recommender: 'Recommender',
  user: 'User',
  gatekeeper: 'Gatekeeper',
  blocker: 'Blocker',
};

export const ACTIVITY_LABELS: Record<string, string> = {
  page_visit: 'Visited',
  download: 'Downloaded',
  webinar: 'Attended webinar',
  email_click: 'Clicked email',
  event: 'Met at event',
  form: 'Filled in form',
  content_sent: 'Sent',
};

/** Which reason list an action draws from, if it needs one. */
export function reasonUse(kind: EventKind): 'reject' | 'recycle' | 'disqualify' | 'lost' | null {
  switch (kind) {
    case 'rejected':
      return 'reject';
    case 'recycled':
      return 'recycle';
    case 'disqualified':
      return 'disqualify';
    case 'lost':
      return 'lost';
    default:
      return null;
  }
}

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
