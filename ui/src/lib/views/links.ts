// Where the evidence of a report or an agenda item leads: the shell sets these to its own
// navigation, so the report and meeting screens name a destination and never route.
import type { Period, ReportKind } from '../backend';

export const links = {
  /** Opens a report for a period. */
  report: (_kind: ReportKind, _period: Period) => {},
  /** Opens a contact's page. */
  contact: (_id: string) => {},
  /** Opens the playbook at an item. */
  playbookItem: (_itemId: string) => {},
  /** Opens a meeting. */
  meeting: (_id: string) => {},
};
