import { describe, expect, it } from 'vitest';
import type { AgreementItem, AgreementVersion, Member, SignoffEvent } from './backend';
import { awaitingText, filterItems, pendingSignoffs, signBlocker, approvers, countByKind, funnel } from './playbook';

const maya: Member = {
  id: 'm1',
  email: 'maya@x.example',
  name: 'Maya Okafor',
  side: 'marketing',
  role: 'manager',
  createdAt: '2026-01-01T00:00:00.000Z',
};
const sofia: Member = { ...maya, id: 's1', name: 'Sofia Marín', side: 'sales', role: 'rep' };
const daniel: Member = { ...maya, id: 'd1', name: 'Daniel Brooks', side: 'sales' };

function event(action: SignoffEvent['action'], who: Member | null, at: string): SignoffEvent {
  return {
    action,
    memberId: who?.id ?? null,
    memberName: who?.name ?? null,
    memberSide: who?.side ?? null,
    comment: '',
    at,
    effectiveAt: null,
  };
}

function version(number: number, status: AgreementVersion['status'], log: SignoffEvent[]): AgreementVersion {
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
    authorName: 'Maya Okafor',
    createdAt: `2026-0${number}-01T00:00:00.000Z`,
    status,
    effectiveAt: null,
    awaiting: status === 'proposed' ? ['sales'] : [],
    log,
  };
}

function item(id: string, pending: AgreementVersion | null, inForce: AgreementVersion | null): AgreementItem {
  const versions = [pending, inForce].filter((v): v is AgreementVersion => v !== null);
  return { id, kind: 'term', key: id, name: `Item ${id}`, inForce, pending, draft: null, versions };
}

describe('signBlocker', () => {
  const proposed = version(2, 'proposed', [event('proposed', maya, '1'), event('approved', maya, '2')]);

  it('lets a manager of the other side sign', () => {
    expect(signBlocker(daniel, proposed)).toBeNull();
  });
  it('explains why others cannot', () => {
    expect(signBlocker(null, proposed)).toMatch(/choose who you are/i);
    expect(signBlocker(sofia, proposed)).toMatch(/only managers/i);
    expect(signBlocker(maya, proposed)).toMatch(/you have signed/i);
    expect(signBlocker(daniel, version(1, 'in_force', []))).toMatch(/in force/i);
  });
  it('forgets approvals from before a decline', () => {
    const again = version(2, 'proposed', [
      event('proposed', maya, '1'),
      event('approved', maya, '2'),
      event('declined', daniel, '3'),
      event('proposed', maya, '4'),
    ]);
    expect(signBlocker(maya, again)).toBeNull();
    expect(approvers(again)).toEqual([]);
    expect(approvers(proposed)).toEqual(['Maya Okafor']);
  });
});

describe('pendingSignoffs', () => {
  it('lists only items with a proposal, the ones I can sign first', () => {
    const mine = version(2, 'proposed', [event('proposed', maya, '1')]);
    const signed = version(3, 'proposed', [event('proposed', maya, '1'), event('approved', daniel, '2')]);
    const items = [item('a', signed, null), item('b', null, version(1, 'in_force', [])), item('c', mine, null)];
    const list = pendingSignoffs(items, daniel);
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
    expect(countByKind(items)).toEqual({ stage: 0, term: 2, reason: 0, scoring: 0 });
  });
});

describe('funnel', () => {
  function stage(key: string, pos: number, next: string[]): AgreementItem {
    const v: AgreementVersion = {
      ...version(1, 'in_force', []),
      kind: 'stage',
      key,
      body: { kind: 'stage', side: 'sales', position: pos, entryCriteria: 'e', exitCriteria: 'x', allowedNext: next },
    };
    return { id: key, kind: 'stage', key, name: key, inForce: v, pending: null, draft: null, versions: [v] };
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
