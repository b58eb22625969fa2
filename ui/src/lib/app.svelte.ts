// What every screen shares: who is signed in, the team, the playbook, the words for every
// code (from the backend), what awaits the person signed in, and how the window looks.
import { backend, type AgreementItem, type Appearance, type Label, type Member, type QueueCount, type Vocabulary } from './backend';
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

export async function start() {
  // Everything the first screen needs, asked at once.
  const looks = Promise.all([backend.getAppearance(), backend.vocabulary()]).then(([appearance, vocab]) => {
    app.appearance = appearance;
    app.vocab = vocab;
  }, notifyError);
  await Promise.all([looks, loadTeam(), loadPlaybook()]);
  app.ready = true;
  await loadQueue();
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
