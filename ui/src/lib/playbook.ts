// Pure presentation rules of the playbook screens: labels, who may sign, what awaits whom.
import type {
  AgreementBody,
  AgreementItem,
  AgreementKind,
  AgreementVersion,
  Member,
  Side,
  VersionStatus,
} from './backend';

export const KIND_LABELS: Record<AgreementKind, { one: string; many: string }> = {
  stage: { one: 'Lifecycle stage', many: 'Stages' },
  term: { one: 'Glossary term', many: 'Glossary' },
  reason: { one: 'Reason', many: 'Reasons' },
  scoring: { one: 'Scoring model', many: 'Scoring' },
};

export const SIDE_LABELS: Record<Side, string> = { marketing: 'Marketing', sales: 'Sales' };

export const STATUS_LABELS: Record<VersionStatus, string> = {
  draft: 'Draft',
  proposed: 'Awaiting sign-off',
  scheduled: 'Agreed, scheduled',
  in_force: 'In force',
  superseded: 'Superseded',
};

/** "Awaiting Sales manager", "Awaiting Marketing and Sales managers". */
export function awaitingText(sides: Side[]): string {
  if (sides.length === 0) return 'Signed by both sides';
  const names = sides.map((s) => SIDE_LABELS[s]);
  return `Awaiting ${names.join(' and ')} manager${sides.length > 1 ? 's' : ''}`;
}

export interface PendingSignoff {
  item: AgreementItem;
  version: AgreementVersion;
  /** Whether the person using the app could sign this now. */
  mine: boolean;
}

/** Proposals awaiting sign-off, the ones the current person can sign first. */
export function pendingSignoffs(items: AgreementItem[], me: Member | null): PendingSignoff[] {
  return items
    .filter((i) => i.pending !== null)
    .map((item) => {
      const version = item.pending as AgreementVersion;
      return { item, version, mine: signBlocker(me, version) === null };
    })
    .sort((a, b) => Number(b.mine) - Number(a.mine) || a.version.createdAt.localeCompare(b.version.createdAt));
}

/**
 * Why `me` cannot sign `version` now, or null when they can. Mirrors the backend's rules
 * so buttons can explain themselves; the backend still decides.
 */
export function signBlocker(me: Member | null, version: AgreementVersion): string | null {
  if (!me) return 'Choose who you are to sign';
  if (me.role !== 'manager') return 'Only managers sign off the playbook';
  if (version.status !== 'proposed') return `This version is ${STATUS_LABELS[version.status].toLowerCase()}`;
  const round = currentRound(version);
  if (round.some((e) => e.action === 'approved' && e.memberId === me.id)) return 'You have signed this version';
  return null;
}

/** The log entries since the version was last proposed. */
function currentRound(version: AgreementVersion) {
  const last = version.log.map((e) => e.action).lastIndexOf('proposed');
  return last < 0 ? [] : version.log.slice(last + 1);
}

/** Who has approved the version in its current round. */
export function approvers(version: AgreementVersion): string[] {
  return currentRound(version)
    .filter((e) => e.action === 'approved')
    .map((e) => e.memberName ?? 'someone');
}

/** Counts per kind, for the tabs. */
export function countByKind(items: AgreementItem[]): Record<AgreementKind, number> {
  const counts: Record<AgreementKind, number> = { stage: 0, term: 0, reason: 0, scoring: 0 };
  for (const i of items) counts[i.kind] += 1;
  return counts;
}

/** Items matching a free-text filter on name, key and in-force text. */
export function filterItems(items: AgreementItem[], query: string): AgreementItem[] {
  const q = query.trim().toLowerCase();
  if (!q) return items;
  return items.filter((i) => {
    const v = i.inForce ?? i.versions[0];
    const text = [i.name, i.key, ...Object.values(v.body).map(String)].join(' ').toLowerCase();
    return text.includes(q);
  });
}

const dateFormat = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', year: 'numeric' });
const timeFormat = new Intl.DateTimeFormat(undefined, {
  day: 'numeric',
  month: 'short',
  year: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
});

export function formatDate(iso: string | null | undefined): string {
  return iso ? dateFormat.format(new Date(iso)) : '';
}

export function formatTime(iso: string | null | undefined): string {
  return iso ? timeFormat.format(new Date(iso)) : '';
}

export function initials(name: string): string {
  return name
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((w) => w[0]?.toUpperCase() ?? '')
    .join('');
}

/**
 * The stages in force split into the main funnel (from the first stage, following each
 * stage's first allowed next stage) and the side stages (nurture, disqualified…).
 */
export function funnel(items: AgreementItem[]): { main: AgreementItem[]; side: AgreementItem[] } {
  const stages = items
    .filter((i) => i.kind === 'stage' && i.inForce?.body.kind === 'stage')
    .sort((a, b) => position(a) - position(b));
  const byKey = new Map(stages.map((s) => [s.key, s]));
  const main: AgreementItem[] = [];
  let current: AgreementItem | undefined = stages[0];
  while (current && !main.includes(current)) {
    main.push(current);
    const body: AgreementBody | undefined = current.inForce?.body;
    current = body?.kind === 'stage' ? byKey.get(body.allowedNext[0] ?? '') : undefined;
  }
  return { main, side: stages.filter((s) => !main.includes(s)) };
}

function position(i: AgreementItem): number {
  const b = i.inForce?.body;
  return b?.kind === 'stage' ? b.position : 0;
}
