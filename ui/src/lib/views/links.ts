// Where the evidence of a report, an agenda item or the home screen leads: in-app links
// (hashes the router follows), so every piece of evidence is a real link with a Back.
import type { AgreementKind, Period, ReportKind } from '../backend';
import { format } from '../router.svelte';

export const links = {
  /** A report for a period. */
  report: (kind: ReportKind, period: Period) => format('/reports', { kind, from: period.from, to: period.to }),
  /** A contact's page. */
  contact: (id: string) => format(`/contacts/${id}`),
  /** The playbook at an item. */
  playbookItem: (kind: AgreementKind, itemId: string) => format('/playbook', { kind, item: itemId }),
  /** The content library's health: coverage, stale assets, what was sent. */
  contentHealth: () => format('/content/health'),
  /** The SLA scorecard. */
  slas: () => format('/slas'),
  /** A meeting, or its minutes. */
  meeting: (id: string) => format(`/meetings/${id}`),
  minutes: (id: string) => format(`/meetings/${id}/minutes`),
};
