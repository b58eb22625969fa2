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
  type AgreementBody_Deserialize,
  type VersionStatus,
  type LeadFilter_Deserialize,
  type LeadPage_Serialize,
  type LeadRow_Serialize,
  type ContactDetail_Serialize,
  type EventRequest_Deserialize,
  type EventKind,
  type HandoffEvent_Serialize,
  type PeopleMap_Serialize,
  type ImportKind,
  type ImportMode,
  type ImportSummary,
  type ImportPreview_Serialize,
  type Mapping_Deserialize,
  type ExportKind,
  type ExportFormat,
  type LeadSort,
  type ImportProgress,
  type ScoreExplanation,
  type Activity,
  type SyncStatus,
  type SyncReport,
  type RejectedChange,
  type LeadWindow_Serialize,
  type QueueCount,
  type Vocabulary_Serialize,
  type Label,
  type Appearance,
  type Theme,
  type Impact_Serialize,
  type ImpactContact_Serialize,
  type ImpactRequest_Deserialize,
  type Problem,
  type Awaiting,
  type ScoringBody_Deserialize,
  type FitField,
  type FitOp,
  type ActivityKind,
  type Options,
  type OnConflict,
  type Opportunity,
} from '../bindings';
import { listen } from '@tauri-apps/api/event';

export type AgreementItem = AgreementItem_Serialize;
export type AgreementVersion = AgreementVersion_Serialize;
export type AgreementBody = AgreementBody_Serialize;
export type ProposedBody = AgreementBody_Deserialize;
export type VersionDiff = VersionDiff_Serialize;
export type SignoffEvent = SignoffEvent_Serialize;
export type StageBody = StageBody_Serialize;
export type Proposal = Proposal_Deserialize;
export type LeadFilter = LeadFilter_Deserialize;
export type LeadPage = LeadPage_Serialize;
export type LeadRow = LeadRow_Serialize;
export type ContactDetail = ContactDetail_Serialize;
export type EventRequest = EventRequest_Deserialize;
export type HandoffEvent = HandoffEvent_Serialize;
export type PeopleMap = PeopleMap_Serialize;
export type ImportPreview = ImportPreview_Serialize;
export type Mapping = Mapping_Deserialize;
export type LeadWindow = LeadWindow_Serialize;
export type Vocabulary = Vocabulary_Serialize;
export type Impact = Impact_Serialize;
export type ImpactContact = ImpactContact_Serialize;
export type ImpactRequest = ImpactRequest_Deserialize;
/** A scoring model as the editor writes it. */
export type ScoringBody = ScoringBody_Deserialize;
export type {
  QueueCount,
  Label,
  Appearance,
  Theme,
  Problem,
  Awaiting,
  FitField,
  FitOp,
  ActivityKind,
  EventKind,
  ImportKind,
  ImportMode,
  ImportSummary,
  ExportKind,
  ExportFormat,
  LeadSort,
  ImportProgress,
  ScoreExplanation,
  Activity,
  Options,
  OnConflict,
  Opportunity,
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
  SyncStatus,
  SyncReport,
  RejectedChange,
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
  addMember: (member: NewMember, passphrase: string) => unwrap(commands.addMember(member, passphrase)),
  whoami: () => unwrap(commands.whoami()),
  /** Proves who is using the window: opens the member's signing key with their passphrase. */
  unlock: (memberId: string, passphrase: string) => unwrap(commands.unlock(memberId, passphrase)),
  lock: () => unwrap(commands.lock()),
  lastIdentity: () => unwrap(commands.lastIdentity()),
  listLeads: (filter: LeadFilter) => unwrap(commands.listLeads(filter)),
  /** Opens a list: its count and first page. */
  openLeads: (filter: LeadFilter) => unwrap(commands.openLeads(filter)),
  /** Where each later page of a list starts (its anchors). */
  leadAnchors: (filter: LeadFilter) => unwrap(commands.leadAnchors(filter)),
  queueCounts: () => unwrap(commands.queueCounts()),
  vocabulary: () => unwrap(commands.vocabulary()),
  getAppearance: () => unwrap(commands.getAppearance()),
  setAppearance: (appearance: Appearance) => unwrap(commands.setAppearance(appearance)),
  toggleFullscreen: () => unwrap(commands.toggleFullscreen()),
  openExportsFolder: () => unwrap(commands.openExportsFolder()),
  previewImpact: (request: ImpactRequest) => unwrap(commands.previewImpact(request)),
  checkProposal: (body: AgreementBody_Deserialize) => unwrap(commands.checkProposal(body)),
  getContact: (id: string) => unwrap(commands.getContact(id)),
  getPeopleMap: (accountId: string) => unwrap(commands.getPeopleMap(accountId)),
  recordHandoff: (contactId: string, request: EventRequest) => unwrap(commands.recordHandoff(contactId, request)),
  previewImport: (kind: ImportKind, content: string, mapping: Mapping) =>
    unwrap(commands.previewImport(kind, content, mapping)),
  runImport: (kind: ImportKind, content: string, mapping: Mapping, options: Options) =>
    unwrap(commands.runImport(kind, content, mapping, options)),
  /** The source channels in the data, for the leads list's filter. */
  listSources: () => unwrap(commands.listSources()),
  /** Merges a duplicate contact into the one it really is (signed; undone by unmerge). */
  mergeContacts: (duplicate: string, survivor: string) => unwrap(commands.mergeContacts(duplicate, survivor)),
  unmergeContact: (duplicate: string) => unwrap(commands.unmergeContact(duplicate)),
  cancelImport: () => unwrap(commands.cancelImport()),
  exportData: (kind: ExportKind, format: ExportFormat) => unwrap(commands.exportData(kind, format)),
  /** Team sync: when this laptop last synced, what waits, what the hub rejected and why. */
  syncStatus: (): Promise<SyncStatus> => unwrap(commands.syncStatus()),
  syncNow: (): Promise<SyncReport> => unwrap(commands.syncNow()),
  /** Calls `onProgress` for every progress report of the running import; returns a stop function. */
  onImportProgress: (onProgress: (p: ImportProgress) => void) =>
    listen<ImportProgress>('import-progress', (e) => onProgress(e.payload)),
};
