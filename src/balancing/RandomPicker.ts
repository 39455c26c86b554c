import type { InvalidOptionError } from '../core/errors/InvalidOptionError.js';
import type { PickCandidate, Picker } from '../core/index.js';
import { type RandomPickerOptions, type RandomSource, randomIndex, randomPickerSource } from './random.js';

export type { RandomPickerOptions };

/**
 * Uniformly random, ignoring weights and load: no state, no coordination between balancers.
 *
 * @example
 * {@includeCode ./pickers.test.ts#random}
 */
export class RandomPicker implements Picker {
  readonly #random: RandomSource;

  /**
   * @param options - the random source.
   * @throws {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION` when `random` is not a function.
   */
  constructor(options?: RandomPickerOptions) {
    this.#random = randomPickerSource(options, 'RandomPicker');
  }

  /**
   * Chooses a candidate at random.
   *
   * @param candidates - the candidates that are up.
   * @returns one of them, each with the same probability.
   */
  pick<C extends PickCandidate>(candidates: readonly C[]): C | undefined {
    return candidates.length === 0 ? undefined : candidates[randomIndex(this.#random, candidates.length)];
  }
}
