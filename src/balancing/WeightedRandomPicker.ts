import type { InvalidOptionError } from '../core/errors/InvalidOptionError.js';
import type { PickCandidate, Picker } from '../core/index.js';
import type { RandomPickerOptions } from './RandomPicker.js';
import { type RandomSource, randomPickerSource } from './random.js';

/**
 * Weighted random: each candidate with probability `weight / total weight`, ignoring load.
 *
 * @example
 * {@includeCode ./pickers.test.ts#weightedRandom}
 */
export class WeightedRandomPicker implements Picker {
  readonly #random: RandomSource;

  /**
   * @param options - the random source.
   * @throws {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION` when `random` is not a function.
   */
  constructor(options?: RandomPickerOptions) {
    this.#random = randomPickerSource(options, 'WeightedRandomPicker');
  }

  /**
   * Chooses a candidate at random, in proportion to its weight.
   *
   * @param candidates - the candidates that are up.
   * @returns one of them.
   */
  pick<C extends PickCandidate>(candidates: readonly C[]): C | undefined {
    let total = 0;
    for (const candidate of candidates) total += candidate.weight;
    let point = this.#random() * total;
    for (const candidate of candidates) {
      point -= candidate.weight;
      if (point < 0) return candidate;
    }
    return candidates[candidates.length - 1]; // rounding, or random() returned 1
  }
}
