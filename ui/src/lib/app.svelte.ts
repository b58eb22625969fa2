// What every screen shares: who is signed in, the team, the playbook, the words for every
// code (from the backend), what awaits the person signed in, and how the window looks.
import { backend, type AgreementItem, type Appearance, type Home, type Label, type Member, type QueueCount, type Vocabulary } from './backend';
import { notifyError } from './toast.svelte';

export const app = $state<{
  ready: boolean;
  me: Member | null;
  members: Member[];
  items: AgreementItem[];
  vocab: Vocabulary | null;
  queue: QueueCount[];
  appearance: Appearance;
}>({
  ready: false,
  me: null,
  members: [],
  items: [],
  vocab: null,
  queue: [],
  appearance: { scalePercent: 100, theme: 'system' },
});

type LabelList = { [K in keyof Vocabulary]: Vocabulary[K] extends Label[] ? K : never }[keyof Vocabulary];

/** The label of a code in one of the backend's vocabularies; the code itself if unknown. */
export function say(list: LabelList, code: string | null | undefined): string {
  if (!code) return '';
  return app.vocab?.[list].find((l) => l.code === code)?.label ?? code;
}

/** Stage and item names by key, from the playbook in force (or newest). */
export function stageName(key: string | null | undefined): string {
  if (!key) return '';
  return app.items.find((i) => i.kind === 'stage' && i.key === key)?.name ?? key;
}

export async function loadPlaybook() {
  try {
    app.items = await backend.listAgreements();
  } catch (e) {
    notifyError(e);
  }
}

export async function loadQueue() {
  try {
    app.queue = app.me ? await backend.queueCounts() : [];
  } catch (e) {
    notifyError(e);
  }
}

export async function loadTeam() {
  try {
    [app.members, app.me] = await Promise.all([backend.listMembers(), backend.whoami()]);
  } catch (e) {
    notifyError(e);
  }
}

/** The period Home compares when the window opens (the backend says which). */
export const homeStart = $state({ days: 30 });
let firstHome: Home | null = null;

/** Home's numbers kept from their last count, given at start (see `start`); taken once. */
export function takeFirstHome(days: number): Home | null {
  const first = days === homeStart.days ? firstHome : null;
  firstHome = null;
  return first;
}

/**
 * Everything the first screen needs, in one answer the backend prepared while the window
 * started, before the window draws anything (`main.ts` mounts the shell when this
 * resolves): the shell and Home appear in one paint instead of a shell first and Home
 * after, each paint costing a fresh WebKit process about 100 ms on a small laptop. The
 * queue counts follow.
 */
export async function start(openingHome: boolean) {
  try {
    const boot = await backend.boot(openingHome);
    app.appearance = boot.appearance;
    app.vocab = boot.vocabulary;
    app.members = boot.members;
    app.me = boot.me;
    app.items = boot.agreements;
    homeStart.days = boot.homeDays;
    firstHome = boot.home;
  } catch (e) {
    notifyError(e);
  }
  app.ready = true;
  void loadQueue();
}

/** After signing in or out: what the person may do and what awaits them changes. */
export async function identityChanged(m: Member | null) {
  app.me = m;
  await Promise.all([loadPlaybook(), loadQueue()]);
}

/** How many things await the person signed in: their queue and the versions they may sign. */
export function awaitingMe(): { queue: number; sign: number } {
  return {
    queue: app.queue.reduce((n, q) => n + q.count, 0),
    sign: app.items.filter((i) => i.pending?.youMaySign).length,
  };
}
