import { describe, expect, it } from 'vitest';
import { formatBytes, formatLabel, heatStep, highlightParts, orderValues, valueLabel } from './content';

describe('highlightParts', () => {
  it('splits at the marked ranges', () => {
    expect(highlightParts('Beat Acme on price', [[5, 9]])).toEqual([
      { text: 'Beat ', hit: false },
      { text: 'Acme', hit: true },
      { text: ' on price', hit: false },
    ]);
  });

  it('keeps markup in user text as text', () => {
    const parts = highlightParts('<img src=x onerror=alert(1)> pricing', [[29, 36]]);
    expect(parts.map((p) => p.text).join('')).toBe('<img src=x onerror=alert(1)> pricing');
    expect(parts.at(-1)).toEqual({ text: 'pricing', hit: true });
  });

  it('ignores ranges that overlap, run past the end or are empty', () => {
    expect(highlightParts('abcdef', [[0, 2], [1, 3], [4, 4], [5, 99]])).toEqual([
      { text: 'ab', hit: true },
      { text: 'cdef', hit: false },
    ]);
    expect(highlightParts('', [])).toEqual([{ text: '', hit: false }]);
  });

  it('counts in UTF-16 code units, as the backend marks them', () => {
    expect(highlightParts('👍 Übergabe', [[3, 11]])).toEqual([
      { text: '👍 ', hit: false },
      { text: 'Übergabe', hit: true },
    ]);
  });
});

describe('labels', () => {
  const tax = {
    stages: [
      { key: 'awareness', name: 'Awareness' },
      { key: 'decision', name: 'Decision' },
    ],
    personas: [{ key: 'economic_buyer', name: 'Economic buyer' }],
    risks: [{ key: 'competitor:acme', name: 'Acme Cloud' }],
    kinds: [{ key: 'battlecard', name: 'Battlecard' }],
  };

  it('names values from the agreed taxonomy', () => {
    expect(valueLabel('risk', 'competitor:acme', tax)).toBe('Acme Cloud');
    expect(valueLabel('persona', 'unknown', tax)).toBe('unknown');
    expect(valueLabel('language', 'de', tax)).toBe('German');
    expect(valueLabel('freshness', 'stale', tax)).toBe('Past review date');
  });

  it('orders stages by the journey, not by count', () => {
    const values = [
      { value: 'decision', count: 9 },
      { value: 'awareness', count: 1 },
    ];
    expect(orderValues('stage', values, tax).map((v) => v.value)).toEqual(['awareness', 'decision']);
    expect(orderValues('industry', values, tax)).toEqual(values);
  });

  it('formats sizes and kinds of file', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(2048)).toBe('2.0 KB');
    expect(formatBytes(200 * 1024 * 1024)).toBe('200.0 MB');
    expect(formatLabel('application/pdf', null)).toBe('PDF');
    expect(formatLabel(null, 'https://x.example')).toBe('Link');
    expect(formatLabel('image/png', null)).toBe('PNG');
  });
});

describe('heatStep', () => {
  it('keeps empty cells apart and spreads the rest over five steps', () => {
    expect(heatStep(0, 9)).toBe(0);
    expect(heatStep(1, 9)).toBe(1);
    expect(heatStep(9, 9)).toBe(5);
    expect(heatStep(1, 1)).toBe(5);
    expect(heatStep(5, 9)).toBe(3);
  });
});
