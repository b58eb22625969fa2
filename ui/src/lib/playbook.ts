// Pure presentation of the playbook screens: labels, what awaits whom. Who may sign what is
// the backend's answer (`youMaySign`, `signBlocker` on each version), never decided here.
import type {
  AgreementBody,
  AgreementItem,
  AgreementKind,
  AgreementVersion,
  Role,
  Side,
  VersionStatus,
} from './backend';

export const KIND_LABELS: Record<AgreementKind, { one: string; many: string }> = {
  stage: { one: 'Lifecycle stage', many: 'Stages' },
  term: { one: 'Glossary term', many: 'Glossary' },
  reason: { one: 'Reason', many: 'Reasons' },
  scoring: { one: 'Scoring model', many: 'Scoring' },
  sla: { one: 'SLA', many: 'SLAs' },
  business_calendar: { one: 'Business calendar', many: 'Calendars' },
  buying_stage: { one: 'Buying stage', many: 'Buying stages' },
  persona: { one: 'Persona', many: 'Personas' },
  risk: { one: 'Risk point', many: 'Risks' },
  asset_kind: { one: 'Asset kind', many: 'Asset kinds' },
};

/** Every kind, in the order the playbook's tabs show them. */
export const KINDS: AgreementKind[] = ['stage', 'term', 'reason', 'scoring', 'sla', 'business_calendar', 'buying_stage', 'persona', 'risk', 'asset_kind'];

export const SIDE_LABELS: Record<Side, string> = { marketing: 'Marketing', sales: 'Sales' };

export const STATUS_LABELS: Record<VersionStatus, string> = {
  draft: 'Draft',
  proposed: 'Awaiting sign-off',
  scheduled: 'Agreed, scheduled',
  in_force: 'In force',
  superseded: 'Superseded',
  tampered: 'Tampered — ignored',
};

export const ROLE_LABELS: Record<Role, string> = { manager: 'Manager', rep: 'Rep', ops: 'Operations' };

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

/** Proposals awaiting sign-off, the ones the person using the app may sign first. */
export function pendingSignoffs(items: AgreementItem[]): PendingSignoff[] {
  return items
    .filter((i) => i.pending !== null)
    .map((item) => {
      const version = item.pending as AgreementVersion;
      return { item, version, mine: version.youMaySign };
    })
    .sort((a, b) => Number(b.mine) - Number(a.mine) || a.version.createdAt.localeCompare(b.version.createdAt));
}

/** Who has approved the version with a signature that counts. */
export function approvers(version: AgreementVersion): string[] {
  return version.log
    .filter((e) => e.action === 'approved' && e.problem === null)
    .map((e) => e.memberName ?? 'someone');
}

/** Counts per kind, for the tabs. */
export function countByKind(items: AgreementItem[]): Record<AgreementKind, number> {
  const counts: Record<AgreementKind, number> = {
    stage: 0,
    term: 0,
    reason: 0,
    scoring: 0,
    sla: 0,
    business_calendar: 0,
    buying_stage: 0,
    persona: 0,
    risk: 0,
    asset_kind: 0,
  };
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

/** `scoring/default@2` → "Lead scoring model v2": a version reference by its item's name. */
export function referenceName(reference: string, items: AgreementItem[]): string {
  const m = /^(\w+)\/([^@]+)@(\d+)$/.exec(reference);
  if (!m) return reference;
  const item = items.find((i) => i.kind === m[1] && i.key === m[2]);
  return `${item?.name ?? m[2]} v${m[3]}`;
}
