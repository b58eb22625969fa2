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
  type Activity_Serialize,
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
  type Taxonomy,
  type SearchQuery_Deserialize,
  type SearchResults_Serialize,
  type SearchHit_Serialize,
  type AssetDetail_Serialize,
  type AssetFields_Deserialize,
  type AssetSource,
  type AssetStatus,
  type StoredFile_Serialize,
  type ContentDropped,
  type ContactFit_Serialize,
  type AccountFit_Serialize,
  type RiskNote_Deserialize,
  type SendDraft_Serialize,
  type SendRequest_Deserialize,
  type SendChannel,
  type Health_Serialize,
  type FacetName,
  type Freshness,
  type BuyingRole,
  type BuyingStage,
  type Options,
  type OnConflict,
  type Opportunity,
  type FunnelReport_Serialize,
  type SourcesReport_Serialize,
  type ReasonsReport_Serialize,
  type AgingReport_Serialize,
  type Home_Serialize,
  type HomeExtras_Serialize,
  type Meeting_Serialize,
  type MeetingDetail_Serialize,
  type AgendaItem_Serialize,
  type AgendaFacts_Serialize,
  type Decision_Serialize,
  type ActionItem_Serialize,
  type Minutes_Serialize,
  type NewMeeting_Deserialize,
  type NewDecision_Deserialize,
  type NewAction_Deserialize,
  type AgendaEdit_Deserialize,
  type FunnelChange_Serialize,
  type SourceRow_Serialize,
  type ReasonRow_Serialize,
  type AgingOwner_Serialize,
  type PendingSignoff_Serialize,
  type ReportKind,
  type ActionStatus,
  type Scorecard_Serialize,
  type SlaScore_Serialize,
  type Score_Serialize,
  type TrendPoint_Serialize,
  type TrendPeriod,
  type OwnerScore_Serialize,
  type Breach_Serialize,
  type DueItem,
  type SlaKind,
  type SlaRule_Serialize,
  type SlaBody_Serialize,
  type CalendarBody_Serialize,
  type Weekday,
  type BusinessUnit,
  type ReportPeriod,
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
export type FunnelReport = FunnelReport_Serialize;
export type SourcesReport = SourcesReport_Serialize;
export type ReasonsReport = ReasonsReport_Serialize;
export type AgingReport = AgingReport_Serialize;
export type Home = Home_Serialize;
export type HomeExtras = HomeExtras_Serialize;
export type Meeting = Meeting_Serialize;
export type MeetingDetail = MeetingDetail_Serialize;
export type AgendaItem = AgendaItem_Serialize;
export type AgendaFacts = AgendaFacts_Serialize;
export type Decision = Decision_Serialize;
export type ActionItem = ActionItem_Serialize;
export type Minutes = Minutes_Serialize;
export type NewMeeting = NewMeeting_Deserialize;
export type NewDecision = NewDecision_Deserialize;
export type NewAction = NewAction_Deserialize;
export type AgendaEdit = AgendaEdit_Deserialize;
export type FunnelChange = FunnelChange_Serialize;
export type SourceRow = SourceRow_Serialize;
export type ReasonRow = ReasonRow_Serialize;
export type AgingOwner = AgingOwner_Serialize;
export type PendingSignoff = PendingSignoff_Serialize;
export type LeadWindow = LeadWindow_Serialize;
export type Vocabulary = Vocabulary_Serialize;
export type Impact = Impact_Serialize;
export type ImpactContact = ImpactContact_Serialize;
export type ImpactRequest = ImpactRequest_Deserialize;
/** A scoring model as the editor writes it. */
export type ScoringBody = ScoringBody_Deserialize;
export type Scorecard = Scorecard_Serialize;
export type SlaScore = SlaScore_Serialize;
export type Score = Score_Serialize;
export type TrendPoint = TrendPoint_Serialize;
export type OwnerScore = OwnerScore_Serialize;
export type Breach = Breach_Serialize;
export type SlaRule = SlaRule_Serialize;
export type SlaBody = SlaBody_Serialize;
export type CalendarBody = CalendarBody_Serialize;
export type ContentTaxonomy = Taxonomy;
export type SearchQuery = SearchQuery_Deserialize;
export type SearchResults = SearchResults_Serialize;
export type SearchHit = SearchHit_Serialize;
export type AssetDetail = AssetDetail_Serialize;
export type AssetFields = AssetFields_Deserialize;
export type StoredFile = StoredFile_Serialize;
export type ContactFit = ContactFit_Serialize;
export type AccountFit = AccountFit_Serialize;
export type RiskNote = RiskNote_Deserialize;
export type SendDraft = SendDraft_Serialize;
export type SendRequest = SendRequest_Deserialize;
export type Health = Health_Serialize;
export type Activity = Activity_Serialize;
/** Whole days from..to, as the reports and meetings take them. */
export type Period = ReportPeriod;
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
  Options,
  OnConflict,
  Opportunity,
  ReportKind,
  ActionStatus,
  TrendPeriod,
  DueItem,
  SlaKind,
  Weekday,
  BusinessUnit,
  AgreementKind,
  AssetSource,
  AssetStatus,
  ContentDropped,
  SendChannel,
  FacetName,
  Freshness,
  BuyingRole,
  BuyingStage,
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
  // The content library.
  contentTaxonomy: () => unwrap(commands.contentTaxonomy()),
  searchContent: (query: SearchQuery) => unwrap(commands.searchContent(query)),
  getAsset: (id: string) => unwrap(commands.getAsset(id)),
  saveAsset: (id: string | null, fields: AssetFields) => unwrap(commands.saveAsset(id, fields)),
  /** Opens the system's file picker; what is picked is copied into the content store. */
  pickContentFiles: () => unwrap(commands.pickContentFiles()),
  /** Stores the files last dropped onto the window (the window never names paths). */
  takeDroppedFiles: () => unwrap(commands.takeDroppedFiles()),
  /** Calls `onDrop` whenever files are dropped onto the window; returns a stop function. */
  onContentDropped: (onDrop: (d: ContentDropped) => void) =>
    listen<ContentDropped>('content-dropped', (e) => onDrop(e.payload)),
  /** Opens the asset's stored file with the system's viewer (or its link in the browser). */
  openAsset: (id: string) => unwrap(commands.openAsset(id)),
  revealAsset: (id: string) => unwrap(commands.revealAsset(id)),
  contentForContact: (contactId: string) => unwrap(commands.contentForContact(contactId)),
  contentForAccount: (accountId: string) => unwrap(commands.contentForAccount(accountId)),
  noteAccountRisk: (accountId: string, note: RiskNote) => unwrap(commands.noteAccountRisk(accountId, note)),
  draftSend: (assetId: string, contactId: string) => unwrap(commands.draftSend(assetId, contactId)),
  openMailDraft: (mailto: string) => unwrap(commands.openMailDraft(mailto)),
  copyText: (text: string) => unwrap(commands.copyText(text)),
  logSend: (request: SendRequest) => unwrap(commands.logSend(request)),
  contentHealth: () => unwrap(commands.contentHealth()),

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
  reportFunnel: (from: string | null, to: string | null) => unwrap(commands.reportFunnel(from, to)),
  reportSources: (from: string | null, to: string | null) => unwrap(commands.reportSources(from, to)),
  reportReasons: (from: string | null, to: string | null) => unwrap(commands.reportReasons(from, to)),
  reportAging: (to: string | null) => unwrap(commands.reportAging(to)),
  /** Writes a report as CSV into the exports folder; resolves to the file's path. */
  exportReport: (kind: ReportKind, from: string | null, to: string | null) =>
    unwrap(commands.exportReport(kind, from, to)),
  /** The home screen of whoever is signed in here (or signed in last), over `days` days;
   * with `kept`, the numbers last computed if there are any (`fromCache`), for the first paint. */
  /** The first screen's data in one answer (prepared while the window started); `home` when it opens on Home. */
  boot: (home: boolean) => unwrap(commands.boot(home)),
  getHome: (days: number, kept: boolean) => unwrap(commands.getHome(days, kept)),
  /** The parts of home that wait for the SLA state and the content library. */
  getHomeExtras: (days: number) => unwrap(commands.getHomeExtras(days)),
  listMeetings: () => unwrap(commands.listMeetings()),
  getMeeting: (id: string) => unwrap(commands.getMeeting(id)),
  createMeeting: (meeting: NewMeeting) => unwrap(commands.createMeeting(meeting)),
  addAgendaItem: (meetingId: string, title: string, note: string) =>
    unwrap(commands.addAgendaItem(meetingId, title, note)),
  editAgendaItem: (itemId: string, edit: AgendaEdit) => unwrap(commands.editAgendaItem(itemId, edit)),
  refreshAgenda: (meetingId: string) => unwrap(commands.refreshAgenda(meetingId)),
  recordDecision: (meetingId: string, decision: NewDecision) => unwrap(commands.recordDecision(meetingId, decision)),
  /** A manager signs a decision's version in the room: their passphrase opens their key
   * for this one signature only; the window stays signed in as before. */
  signDecision: (decisionId: string, memberId: string, passphrase: string) =>
    unwrap(commands.signDecision(decisionId, memberId, passphrase)),
  addAction: (meetingId: string, action: NewAction) => unwrap(commands.addAction(meetingId, action)),
  setActionStatus: (actionId: string, status: ActionStatus) => unwrap(commands.setActionStatus(actionId, status)),
  closeMeeting: (meetingId: string) => unwrap(commands.closeMeeting(meetingId)),
  getMinutes: (meetingId: string) => unwrap(commands.getMinutes(meetingId)),
  /** Writes the minutes (Markdown, or an HTML page) into the exports folder. */
  exportMinutes: (meetingId: string, html: boolean) => unwrap(commands.exportMinutes(meetingId, html)),
  /** The SLA scorecard, measured from the handoff log, with its trend per week or month. */
  slaScorecard: (period: TrendPeriod) => unwrap(commands.slaScorecard(period)),
  /** What the person using the window owes under the SLAs, earliest deadline first. */
  slaDue: () => unwrap(commands.slaDue()),
  /** Calls `onProgress` for every progress report of the running import; returns a stop function. */
  onImportProgress: (onProgress: (p: ImportProgress) => void) =>
    listen<ImportProgress>('import-progress', (e) => onProgress(e.payload)),
};
