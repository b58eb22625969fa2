// Short-lived messages at the bottom of the window: what was done, or why it was refused.
import { BackendError } from './backend';

export interface Toast {
  id: number;
  kind: 'ok' | 'error';
  text: string;
}

let next = 1;
export const toasts = $state<Toast[]>([]);

export function notify(text: string, kind: Toast['kind'] = 'ok') {
  const id = next++;
  toasts.push({ id, kind, text });
  setTimeout(() => dismiss(id), kind === 'error' ? 8000 : 4000);
}

export function dismiss(id: number) {
  const i = toasts.findIndex((t) => t.id === id);
  if (i >= 0) toasts.splice(i, 1);
}

/** Shows an error from the backend (or anything thrown) as a toast. */
export function notifyError(e: unknown) {
  notify(e instanceof BackendError || e instanceof Error ? e.message : String(e), 'error');
}
