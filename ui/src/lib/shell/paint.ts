// Waiting for the window to paint what was just put in the page.

/**
 * Resolves once the next frame has been drawn: work started after it (a chart, a second
 * query) no longer delays what the user is waiting to see.
 */
export function afterPaint(): Promise<void> {
  return new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
}
