// The title and breadcrumb of the screen on show: set by the screen once it knows what it
// shows (a contact's name), read by the header and the window title.
export interface Crumb {
  label: string;
  /** Where the crumb leads (a hash); none for the current page. */
  href?: string;
}

export const page = $state<{ title: string; crumbs: Crumb[] }>({ title: '', crumbs: [] });

export function setPage(title: string, crumbs: Crumb[] = []) {
  page.title = title;
  page.crumbs = crumbs;
  document.title = title ? `${title} · Playbook` : 'Playbook';
}
