// Internal helpers of the randomised strategies.
import { checkOptionKeys, functionOption, optionNames, optionsObject } from '../core/internal/validate.js';
import type { RandomSource } from '../core/RandomSource.js';

export type { RandomSource };

/** Options of the randomised strategies. */
export type RandomPickerOptions = {
  /**
   * Source of uniform numbers in [0, 1); inject a seeded one for reproducible tests and
   * simulations.
   * @default Math.random
   */
  readonly random?: () => number;
};

/** @internal Resolves a `random` option: `Math.random` by default, a function otherwise. */
export function randomOption(path: string, value: unknown): RandomSource {
  return value === undefined ? Math.random : functionOption<RandomSource>(path, value);
}

const RANDOM_PICKER_OPTIONS = optionNames<RandomPickerOptions>()(['random']);

/** @internal The options of a picker whose only option is `random`: its random source. */
export function randomPickerSource(options: RandomPickerOptions | undefined, owner: string): RandomSource {
  const opts = optionsObject('options', options);
  checkOptionKeys(opts, RANDOM_PICKER_OPTIONS, owner);
  return randomOption('options.random', opts.random);
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
