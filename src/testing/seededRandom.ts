import type { RandomSource } from '../core/RandomSource.js';

/**
 * A reproducible {@link RandomSource} (mulberry32): the same seed gives the same sequence, for
 * deterministic tests and simulations of randomised strategies and jitter.
 *
 * @param seed - any integer.
 * @returns uniform numbers in `[0, 1)`.
 *
 * @example
 * {@includeCode ./seededRandom.test.ts#seededRandom}
 */
export function seededRandom(seed: number): RandomSource {
  let state = seed | 0;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
