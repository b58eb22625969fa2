import { describe, expect, it } from 'vitest';
import type { AgreementItem, AgreementVersion, Member, SignoffEvent } from './backend';
import { awaitingText, filterItems, pendingSignoffs, approvers, countByKind, funnel } from './playbook';

const maya: Member = {
  id: 'm1',
  email: 'maya@x.example',
  name: 'Maya Okafor',
  side: 'marketing',
  role: 'manager',
  createdAt: '2026-01-01T00:00:00.000Z',
  hasKey: true,
  keySetBy: null,
  keySetAt: null,
};
const daniel: Member = { ...maya, id: 'd1', name: 'Daniel Brooks', side: 'sales' };

function event(action: SignoffEvent['action'], who: Member | null, at: string, problem: string | null = null): SignoffEvent {
  return {
    id: `${action}-${at}`,
    action,
    memberId: who?.id ?? null,
    memberName: who?.name ?? null,
    memberSide: who?.side ?? null,
    memberRole: who?.role ?? null,
    comment: '',
    at,
    problem,
  };
}

function version(
  number: number,
  status: AgreementVersion['status'],
  log: SignoffEvent[],
  youMaySign = false,
): AgreementVersion {
  return {
    id: `v${number}`,
    itemId: 'i1',
    kind: 'term',
    key: 'mql',
    number,
    name: 'MQL',
    body: { kind: 'term', definition: `definition ${number}` },
    summary: '',
    effectiveFrom: null,
    authorId: maya.id,
    authorName: 'Maya Okafor',
    createdAt: `2026-0${number}-01T00:00:00.000Z`,
    hash: `h${number}`,
    problem: null,
    status,
    effectiveAt: null,
    awaiting: status === 'proposed' ? ['sales'] : [],
    log,
    youMaySign,
    signBlocker: youMaySign ? null : 'Unlock with your passphrase to sign',
  };
}

function item(id: string, pending: AgreementVersion | null, inForce: AgreementVersion | null): AgreementItem {
  const versions = [pending, inForce].filter((v): v is AgreementVersion => v !== null);
  return { id, kind: 'term', key: id, name: `Item ${id}`, inForce, pending, scheduled: null, draft: null, versions };
}

describe('approvers', () => {
  it('names only approvals whose signatures count', () => {
    const v = version(2, 'proposed', [
      event('proposed', maya, '1'),
      event('approved', maya, '2'),
      event('approved', daniel, '3', 'its content does not match what was signed'),
    ]);
    expect(approvers(v)).toEqual(['Maya Okafor']);
  });
});

describe('pendingSignoffs', () => {
  it('lists only items with a proposal, the ones the backend says I may sign first', () => {
    const mine = version(2, 'proposed', [event('proposed', maya, '1')], true);
    const signed = version(3, 'proposed', [event('proposed', maya, '1'), event('approved', daniel, '2')]);
    const items = [item('a', signed, null), item('b', null, version(1, 'in_force', [])), item('c', mine, null)];
    const list = pendingSignoffs(items);
    expect(list.map((p) => p.item.id)).toEqual(['c', 'a']);
    expect(list.map((p) => p.mine)).toEqual([true, false]);
  });
});

describe('labels and filters', () => {
  it('says whose sign-off is missing', () => {
    expect(awaitingText(['sales'])).toBe('Awaiting Sales manager');
    expect(awaitingText(['marketing', 'sales'])).toBe('Awaiting Marketing and Sales managers');
    expect(awaitingText([])).toBe('Signed by both sides');
  });
  it('filters on the in-force text and counts kinds', () => {
    const items = [item('a', null, version(1, 'in_force', [])), item('b', version(2, 'proposed', []), null)];
    expect(filterItems(items, 'DEFINITION 2').map((i) => i.id)).toEqual(['b']);
    expect(filterItems(items, '  ').length).toBe(2);
    expect(countByKind(items)).toEqual({
      stage: 0,
      term: 2,
      reason: 0,
      scoring: 0,
      sla: 0,
      business_calendar: 0,
      buying_stage: 0,
      persona: 0,
      risk: 0,
      asset_kind: 0,
    });
  });
});

describe('funnel', () => {
  function stage(key: string, pos: number, next: string[]): AgreementItem {
    const v: AgreementVersion = {
      ...version(1, 'in_force', []),
      kind: 'stage',
      key,
      body: {
        kind: 'stage',
        side: 'sales',
        position: pos,
        entryCriteria: 'e',
        exitCriteria: 'x',
        allowedNext: next,
        actions: [],
      },
    };
    return { id: key, kind: 'stage', key, name: key, inForce: v, pending: null, scheduled: null, draft: null, versions: [v] };
  }
  it('follows the first next stage and keeps the rest aside', () => {
    const items = [
      stage('nurture', 7, ['mql']),
      stage('sal', 3, ['won', 'nurture']),
      stage('inquiry', 1, ['mql', 'nurture']),
      stage('mql', 2, ['sal', 'nurture']),
      stage('won', 4, []),
    ];
    const f = funnel(items);
    expect(f.main.map((s) => s.key)).toEqual(['inquiry', 'mql', 'sal', 'won']);
    expect(f.side.map((s) => s.key)).toEqual(['nurture']);
  });
  it('stops at a loop', () => {
    const f = funnel([stage('a', 1, ['b']), stage('b', 2, ['a'])]);
    expect(f.main.map((s) => s.key)).toEqual(['a', 'b']);
  });
});
