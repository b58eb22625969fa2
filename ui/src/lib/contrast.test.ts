// Every text colour of the design tokens against the surfaces it is used on: at least
// 4.5:1 (WCAG AA for normal text), in the light theme and in the dark one.
import { describe, expect, it } from 'vitest';
import css from '../app.css?raw';

function tokens(block: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of block.matchAll(/--([a-z0-9-]+):\s*(#[0-9a-f]{6})/gi)) out[m[1]] = m[2];
  return out;
}

const light = tokens(css.slice(css.indexOf(':root {'), css.indexOf('@media (prefers-color-scheme: dark)')));
const dark = tokens(css.slice(css.indexOf(":root[data-theme='dark']")));

function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

function ratio(a: string, b: string): number {
  const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p);
  return (x + 0.05) / (y + 0.05);
}

// [text, background] pairs as the screens use them.
const PAIRS: [string, string][] = [
  ['text', 'bg'], ['text', 'surface'], ['text', 'surface-2'],
  ['muted', 'bg'], ['muted', 'surface'], ['muted', 'surface-2'],
  ['accent-strong', 'surface'], ['accent-strong', 'accent-soft'], ['accent-strong', 'surface-2'],
  ['accent-text', 'accent'],
  ['marketing', 'marketing-soft'], ['marketing', 'surface'],
  ['sales', 'sales-soft'], ['sales', 'surface'],
  ['warn', 'warn-soft'], ['warn', 'surface'],
  ['danger', 'danger-soft'], ['danger', 'surface'],
  ['ok', 'ok-soft'], ['ok', 'surface'],
  ['text', 'added'], ['text', 'removed'],
];

describe('contrast of the design tokens', () => {
  for (const [name, theme] of [['light', light], ['dark', dark]] as const) {
    it(`${name}: every text colour is at least 4.5:1 on its surfaces`, () => {
      expect(Object.keys(theme).length).toBeGreaterThan(20);
      const failing = PAIRS.filter(([fg, bg]) => ratio(theme[fg], theme[bg]) < 4.5).map(
        ([fg, bg]) => `${fg} on ${bg}: ${ratio(theme[fg], theme[bg]).toFixed(2)}`,
      );
      expect(failing).toEqual([]);
    });
  }
});
