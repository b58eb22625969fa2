// Short-lived messages away from the actions: what was done, or why it was refused. A
// message with an action (an export's "Open folder") stays until it is dismissed.
import { BackendError } from './backend';

export interface ToastAction {
  label: string;
  run: () => unknown;
}

export interface Toast {
  id: number;
  kind: 'ok' | 'error';
  text: string;
  action?: ToastAction;
}

let next = 1;
export const toasts = $state<Toast[]>([]);

export function notify(text: string, kind: Toast['kind'] = 'ok', action?: ToastAction) {
  const id = next++;
  toasts.push({ id, kind, text, action });
  if (!action) setTimeout(() => dismiss(id), kind === 'error' ? 10000 : 6000);
}

export function dismiss(id: number) {
  const i = toasts.findIndex((t) => t.id === id);
  if (i >= 0) toasts.splice(i, 1);
}

/** Shows an error from the backend (or anything thrown) as a toast. */
export function notifyError(e: unknown) {
  notify(e instanceof BackendError || e instanceof Error ? e.message : String(e), 'error');
}
