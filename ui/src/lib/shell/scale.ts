// The presentation scale's steps, in percent: Ctrl + and Ctrl − move one step; Ctrl 0
// returns to 100. The backend keeps the chosen one (80–250) on this laptop.
export const SCALES = [80, 90, 100, 110, 125, 150, 175, 200, 250];

/** The next step up (`direction` 1) or down (−1) from `percent`, staying within the steps. */
export function nextScale(percent: number, direction: 1 | -1): number {
  if (direction > 0) return SCALES.find((s) => s > percent) ?? SCALES[SCALES.length - 1];
  return [...SCALES].reverse().find((s) => s < percent) ?? SCALES[0];
}
