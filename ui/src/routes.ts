// Every screen of the window: its path, its component and, for the screens the sidebar
// lists, its navigation entry. Adding a screen is one entry here (with `nav` if the
// sidebar should list it); the shell, the command palette and Alt+number follow.
import type { Component } from 'svelte';
import PlaybookView from './lib/views/PlaybookView.svelte';
import LeadsView from './lib/views/LeadsView.svelte';
import QueueView from './lib/views/QueueView.svelte';
import ContactView from './lib/views/ContactView.svelte';
import AccountView from './lib/views/AccountView.svelte';
import ImportView from './lib/views/ImportView.svelte';
import TeamView from './lib/views/TeamView.svelte';
import HomeView from './lib/views/home/HomeView.svelte';
import ReportsView from './lib/views/reports/ReportsView.svelte';
import MeetingsView from './lib/views/meetings/MeetingsView.svelte';
import MeetingView from './lib/views/meetings/MeetingView.svelte';
import MinutesView from './lib/views/meetings/MinutesView.svelte';
import SlaView from './lib/views/SlaView.svelte';
import LibraryView from './lib/views/content/LibraryView.svelte';
import CoverageView from './lib/views/content/CoverageView.svelte';

export interface RouteProps {
  params: Record<string, string>;
}

export interface Route {
  id: string;
  path: string;
  component: Component<RouteProps>;
  /** The sidebar entry, for screens reached from the sidebar. */
  nav?: { label: string; hint: string };
  /** The sidebar entry a detail screen belongs to (highlighted while it shows). */
  section?: string;
}

export const routes: Route[] = [
  { id: 'home', path: '/', component: HomeView, nav: { label: 'Home', hint: 'How the funnel is doing, and what awaits you' } },
  { id: 'meetings', path: '/meetings', component: MeetingsView, nav: { label: 'Meetings', hint: 'Agenda from the data, decisions signed in the room, minutes' } },
  { id: 'reports', path: '/reports', component: ReportsView, nav: { label: 'Reports', hint: 'Funnel, sources, reasons and aging, for any period' } },
  { id: 'playbook', path: '/playbook', component: PlaybookView, nav: { label: 'Playbook', hint: 'Definitions both sides agreed' } },
  { id: 'leads', path: '/leads', component: LeadsView, nav: { label: 'Leads', hint: 'Every contact, by stage, owner, source and score' } },
  { id: 'queue', path: '/queue', component: QueueView, nav: { label: 'My queue', hint: 'What awaits your answer' } },
  { id: 'slas', path: '/slas', component: SlaView, nav: { label: 'SLAs', hint: 'Both sides’ commitments, measured from the handoff log' } },
  { id: 'library', path: '/content', component: LibraryView, nav: { label: 'Content', hint: 'What to send this person, at this stage, against this objection' } },
  { id: 'coverage', path: '/content/health', component: CoverageView, nav: { label: 'Content health', hint: 'Where the library has nothing, what is stale, what is sent' } },
  { id: 'import', path: '/import', component: ImportView, nav: { label: 'Import & export', hint: 'CRM and marketing-automation files' } },
  { id: 'team', path: '/team', component: TeamView, nav: { label: 'Team', hint: 'Marketing and sales' } },
  { id: 'contact', path: '/contacts/:id', component: ContactView, section: 'leads' },
  { id: 'account', path: '/accounts/:id', component: AccountView, section: 'leads' },
  { id: 'meeting', path: '/meetings/:id', component: MeetingView, section: 'meetings' },
  { id: 'minutes', path: '/meetings/:id/minutes', component: MinutesView, section: 'meetings' },
];

/** The route for a path, with its parameters (home when nothing matches). */
export function resolve(path: string, match: (pattern: string, path: string) => Record<string, string> | null) {
  for (const route of routes) {
    const params = match(route.path, path);
    if (params) return { route, params };
  }
  return { route: routes[0], params: {} };
}
