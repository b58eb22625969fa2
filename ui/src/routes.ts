// Every screen of the window: its path, its component and, for the screens the sidebar
// lists, its navigation entry. Only Home is in the first bundle; every other screen is
// its own chunk, fetched when first shown (or when the pointer or focus reaches its
// sidebar entry), so the window's first paint does not parse screens nobody opened yet. Adding a screen is one entry here (with `nav` if the
// sidebar should list it); the shell, the command palette and Alt+number follow.
import type { Component } from 'svelte';
import HomeView from './lib/views/home/HomeView.svelte';

export interface RouteProps {
  params: Record<string, string>;
}

export interface Route {
  id: string;
  path: string;
  /** Home's component, in the first bundle. */
  component?: Component<RouteProps>;
  /** Every other screen's chunk. */
  load?: () => Promise<{ default: Component<RouteProps> }>;
  /** The sidebar entry, for screens reached from the sidebar. */
  nav?: { label: string; hint: string };
  /** The sidebar entry a detail screen belongs to (highlighted while it shows). */
  section?: string;
}

export const routes: Route[] = [
  { id: 'home', path: '/', component: HomeView, nav: { label: 'Home', hint: 'How the funnel is doing, and what awaits you' } },
  { id: 'meetings', path: '/meetings', load: () => import('./lib/views/meetings/MeetingsView.svelte'), nav: { label: 'Meetings', hint: 'Agenda from the data, decisions signed in the room, minutes' } },
  { id: 'reports', path: '/reports', load: () => import('./lib/views/reports/ReportsView.svelte'), nav: { label: 'Reports', hint: 'Funnel, sources, reasons and aging, for any period' } },
  { id: 'playbook', path: '/playbook', load: () => import('./lib/views/PlaybookView.svelte'), nav: { label: 'Playbook', hint: 'Definitions both sides agreed' } },
  { id: 'leads', path: '/leads', load: () => import('./lib/views/LeadsView.svelte'), nav: { label: 'Leads', hint: 'Every contact, by stage, owner, source and score' } },
  { id: 'queue', path: '/queue', load: () => import('./lib/views/QueueView.svelte'), nav: { label: 'My queue', hint: 'What awaits your answer' } },
  { id: 'slas', path: '/slas', load: () => import('./lib/views/SlaView.svelte'), nav: { label: 'SLAs', hint: 'Both sides’ commitments, measured from the handoff log' } },
  { id: 'library', path: '/content', load: () => import('./lib/views/content/LibraryView.svelte'), nav: { label: 'Content', hint: 'What to send this person, at this stage, against this objection' } },
  { id: 'coverage', path: '/content/health', load: () => import('./lib/views/content/CoverageView.svelte'), nav: { label: 'Content health', hint: 'Where the library has nothing, what is stale, what is sent' } },
  { id: 'import', path: '/import', load: () => import('./lib/views/ImportView.svelte'), nav: { label: 'Import & export', hint: 'CRM and marketing-automation files' } },
  { id: 'team', path: '/team', load: () => import('./lib/views/TeamView.svelte'), nav: { label: 'Team', hint: 'Marketing and sales' } },
  { id: 'contact', path: '/contacts/:id', load: () => import('./lib/views/ContactView.svelte'), section: 'leads' },
  { id: 'account', path: '/accounts/:id', load: () => import('./lib/views/AccountView.svelte'), section: 'leads' },
  { id: 'meeting', path: '/meetings/:id', load: () => import('./lib/views/meetings/MeetingView.svelte'), section: 'meetings' },
  { id: 'minutes', path: '/meetings/:id/minutes', load: () => import('./lib/views/meetings/MinutesView.svelte'), section: 'meetings' },
];

/** The route for a path, with its parameters (home when nothing matches). */
export function resolve(path: string, match: (pattern: string, path: string) => Record<string, string> | null) {
  for (const route of routes) {
    const params = match(route.path, path);
    if (params) return { route, params };
  }
  return { route: routes[0], params: {} };
}

const loaded = new Map<string, Component<RouteProps>>();
const loading = new Map<string, Promise<Component<RouteProps>>>();

/**
 * A route's component: at once when it is already here (Home, or a screen shown before),
 * else a promise of it. Its chunk is fetched once, whoever asks first.
 */
export function view(route: Route): Component<RouteProps> | Promise<Component<RouteProps>> {
  const ready = route.component ?? loaded.get(route.id);
  if (ready) return ready;
  let pending = loading.get(route.id);
  if (!pending) {
    pending = route.load!().then(
      (m) => {
        loaded.set(route.id, m.default);
        return m.default;
      },
      (e) => {
        loading.delete(route.id);
        throw e;
      },
    );
    loading.set(route.id, pending);
  }
  return pending;
}

/** Fetches a screen's chunk ahead, when the user is about to open it. */
export function prefetch(route: Route) {
  const v = view(route);
  if (v instanceof Promise) v.catch(() => undefined);
}
