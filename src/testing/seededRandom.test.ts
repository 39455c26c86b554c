import { describe, expect, it } from 'vitest';
import { seededRandom } from './seededRandom.js';

describe('seededRandom', () => {
  it('repeats its sequence for a seed and stays in [0, 1)', () => {
    // #region seededRandom
    const random = seededRandom(42);
    const again = seededRandom(42);
    random() === again(); // true: same seed, same sequence
    // e.g. new RandomPicker({ random: seededRandom(7) }) picks the same backends every run
    // #endregion seededRandom
    const a = Array.from({ length: 1000 }, seededRandom(7));
    expect(Array.from({ length: 1000 }, seededRandom(7))).toEqual(a);
    expect(a.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(new Set(a).size).toBe(1000);
    expect(seededRandom(8)()).not.toBe(a[0]);
    const mean = a.reduce((sum, x) => sum + x, 0) / a.length;
    expect(mean).toBeGreaterThan(0.45);
    expect(mean).toBeLessThan(0.55);
  });
});
