// The window's router: the location lives in the URL's hash (`#/leads?stage=mql&sort=name`),
// so every screen's filters, sort and selection are part of its history entry, and the
// scroll positions of its regions are kept in that entry's `history.state`. Back (the
// browser's, Alt+← or a Back button) returns to the entry exactly as it was left.
//
// Why our own: the maintained Svelte 5 routers (svelte-spa-router 5, @keenmate/svelte-spa-router,
// sv-router) route and parse queries well, but restore only the window's scroll; ours lives
// in inner regions and in a virtual list, which need a per-entry state of their own. This
// file is that small difference and nothing more: routes are a plain table (routes.ts).

/** One history entry as the screens see it. */
export interface Location {
  path: string;
  query: Record<string, string>;
  /** Scroll offsets of named regions, as they were when the entry was left. */
  scroll: Record<string, number>;
  /** Increases on every navigation, so a screen can tell a new visit from a re-render. */
  visit: number;
}

/** Splits `/leads?stage=mql` into its path and its query. */
export function parse(hash: string): { path: string; query: Record<string, string> } {
  const raw = hash.replace(/^#/, '') || '/';
  const [pathPart, queryPart = ''] = raw.split('?', 2);
  const query: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(queryPart)) query[k] = v;
  return { path: pathPart.startsWith('/') ? pathPart : `/${pathPart}`, query };
}

/** The hash for a path and query; empty values are left out, keys in a stable order. */
export function format(path: string, query: Record<string, string | number | boolean | null | undefined> = {}): string {
  const q = new URLSearchParams();
  for (const k of Object.keys(query).sort()) {
    const v = query[k];
    if (v === null || v === undefined || v === '' || v === false) continue;
    q.set(k, String(v));
  }
  const s = q.toString();
  return `#${path}${s ? `?${s}` : ''}`;
}

/** Matches `/leads/contact/:id` against a path; returns the parameters or null. */
export function match(pattern: string, path: string): Record<string, string> | null {
  const p = pattern.split('/').filter(Boolean);
  const a = path.split('/').filter(Boolean);
  if (p.length !== a.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < p.length; i++) {
    if (p[i].startsWith(':')) params[p[i].slice(1)] = decodeURIComponent(a[i]);
    else if (p[i] !== a[i]) return null;
  }
  return params;
}

interface EntryState {
  scroll?: Record<string, number>;
}

let visits = 0;
const initial = parse(typeof location === 'undefined' ? '' : location.hash);
export const router = $state<Location>({ ...initial, scroll: {}, visit: 0 });

/** Scroll offsets the current screen wants kept with its entry (region name → offset). */
const regions = new Map<string, () => number>();

/** A screen registers a scrolling region; its offset is saved when the entry is left. */
export function keepScroll(name: string, read: () => number): () => void {
  regions.set(name, read);
  return () => {
    if (regions.get(name) === read) regions.delete(name);
  };
}

function saveScroll() {
  const scroll: Record<string, number> = {};
  for (const [name, read] of regions) scroll[name] = read();
  const state: EntryState = { ...(history.state ?? {}), scroll };
  history.replaceState(state, '', location.hash || '#/');
}

function enter(hash: string, state: EntryState | null) {
  const { path, query } = parse(hash);
  router.path = path;
  router.query = query;
  router.scroll = state?.scroll ?? {};
  router.visit = ++visits;
}

/** Goes to a new entry (the current one keeps its scroll for Back). */
export function navigate(path: string, query: Record<string, string | number | boolean | null | undefined> = {}) {
  const hash = format(path, query);
  if (hash === (location.hash || '#/')) return;
  saveScroll();
  history.pushState({}, '', hash);
  enter(hash, {});
}

/** Changes the current entry's query in place (a filter, a sort, a selection): Back then
 * leaves the screen instead of stepping through every keystroke. */
export function replaceQuery(patch: Record<string, string | number | boolean | null | undefined>) {
  const query: Record<string, string | number | boolean | null | undefined> = { ...router.query, ...patch };
  const hash = format(router.path, query);
  history.replaceState(history.state ?? {}, '', hash);
  const parsed = parse(hash);
  router.query = parsed.query;
}

export function back() {
  history.back();
}

/** Follows an in-app link (`#/…`) through the router, so the entry left keeps its scroll. */
function onClick(e: MouseEvent) {
  if (e.defaultPrevented || e.button !== 0 || e.ctrlKey || e.metaKey || e.shiftKey || e.altKey) return;
  const a = (e.target as Element | null)?.closest?.('a[href^="#/"]');
  if (!a) return;
  e.preventDefault();
  const { path, query } = parse(a.getAttribute('href') ?? '#/');
  navigate(path, query);
}

if (typeof window !== 'undefined') {
  window.addEventListener('popstate', (e) => enter(location.hash, e.state as EntryState | null));
  // A hash changed some other way (typed, or a link the click handler did not see).
  window.addEventListener('hashchange', () => {
    const { path, query } = parse(location.hash);
    if (path !== router.path || format(path, query) !== format(router.path, router.query)) enter(location.hash, history.state);
  });
  document.addEventListener('click', onClick);
  if (!location.hash) history.replaceState({}, '', '#/');
}
