import { describe, expect, it } from 'vitest';
import { niceMax } from './BarChart.jsx';

describe('niceMax', () => {
  it('holds the value and halves to a whole number, so the middle gridline is labelled exactly', () => {
    for (const v of [0, 1, 2, 3, 5, 7, 9, 10, 11, 25, 99, 100, 101, 12345]) {
      const max = niceMax(v);
      expect(max).toBeGreaterThanOrEqual(v);
      expect(Number.isInteger(max / 2)).toBe(true);
      expect(max).toBeLessThanOrEqual(Math.max(2, 2 * v));
    }
    expect(niceMax(3)).toBe(4);
    expect(niceMax(25)).toBe(40);
  });
});
