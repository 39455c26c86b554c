// Internal helpers of the randomised strategies.
import { functionOption } from '../core/internal/validate.js';
import type { RandomSource } from '../core/RandomSource.js';

export type { RandomSource };

/** @internal Resolves a `random` option: `Math.random` by default, a function otherwise. */
export function randomOption(path: string, value: unknown): RandomSource {
  return value === undefined ? Math.random : functionOption<RandomSource>(path, value);
}

/** @internal A uniform index in [0, n), robust to a source that returns exactly 1. */
export function randomIndex(random: RandomSource, n: number): number {
  return Math.min(Math.floor(random() * n), n - 1);
}

/**
 * @internal Two distinct uniform picks from `candidates` (at least two), compared with `cost`;
 * the cheaper wins, the first on a tie.
 */
export function cheaperOfTwo<C>(candidates: readonly C[], random: RandomSource, cost: (c: C) => number): C {
  const n = candidates.length;
  const i = randomIndex(random, n);
  let j = randomIndex(random, n - 1);
  if (j >= i) j++;
  const a = candidates[i] as C;
  const b = candidates[j] as C;
  return cost(b) < cost(a) ? b : a;
}
