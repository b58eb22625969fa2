// The only door from the UI to the Rust backend: components call these functions and
// get plain values or a thrown BackendError carrying the backend's stable error code.
import {
  commands,
  type AgreementItem_Serialize,
  type AgreementVersion_Serialize,
  type AgreementKind,
  type AppError_Serialize,
  type ErrorCode,
  type Member,
  type NewMember,
  type Proposal_Deserialize,
  type VersionDiff_Serialize,
  type FieldDiff,
  type DiffSegment,
  type SignoffEvent_Serialize,
  type Side,
  type Role,
  type StageBody_Serialize,
  type ReasonUse,
  type AgreementBody_Serialize,
  type VersionStatus,
} from '../bindings';

export type AgreementItem = AgreementItem_Serialize;
export type AgreementVersion = AgreementVersion_Serialize;
export type AgreementBody = AgreementBody_Serialize;
export type VersionDiff = VersionDiff_Serialize;
export type SignoffEvent = SignoffEvent_Serialize;
export type StageBody = StageBody_Serialize;
export type Proposal = Proposal_Deserialize;
export type {
  AgreementKind,
  ErrorCode,
  Member,
  NewMember,
  FieldDiff,
  DiffSegment,
  Side,
  Role,
  ReasonUse,
  VersionStatus,
};

export class BackendError extends Error {
  readonly code: ErrorCode;
  readonly field: string | null;
  constructor(e: AppError_Serialize) {
    super(e.message);
    this.code = e.code;
    this.field = e.field;
  }
}

type Outcome<T> = { status: 'ok'; data: T } | { status: 'error'; error: AppError_Serialize };

async function unwrap<T>(call: Promise<Outcome<T>>): Promise<T> {
  const r = await call;
  if (r.status === 'ok') return r.data;
  throw new BackendError(r.error);
}

export const backend = {
  listAgreements: (kind: AgreementKind | null = null) => unwrap(commands.listAgreements(kind)),
  propose: (proposal: Proposal) => unwrap(commands.proposeAgreement(proposal)),
  approve: (versionId: string, comment: string) => unwrap(commands.approveAgreement(versionId, comment)),
  decline: (versionId: string, comment: string) => unwrap(commands.declineAgreement(versionId, comment)),
  compare: (leftId: string, rightId: string) => unwrap(commands.compareVersions(leftId, rightId)),
  listMembers: () => unwrap(commands.listMembers()),
  addMember: (member: NewMember) => unwrap(commands.addMember(member)),
  whoami: () => unwrap(commands.whoami()),
  setIdentity: (memberId: string | null) => unwrap(commands.setIdentity(memberId)),
};
