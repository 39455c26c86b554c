import type { InvalidOptionError } from '../core/errors/InvalidOptionError.js';
import type { PickCandidate, Picker } from '../core/index.js';
import type { RandomPickerOptions } from './RandomPicker.js';
import { cheaperOfTwo, type RandomSource, randomPickerSource } from './random.js';

/**
 * Power of two choices: two distinct candidates at random, the one with fewer in-flight requests
 * per unit of weight wins. Nearly as balanced as least connections, but O(1) and without herding
 * when many balancers share the backends (Mitzenmacher).
 *
 * @example
 * {@includeCode ./pickers.test.ts#powerOfTwo}
 */
export class PowerOfTwoPicker implements Picker {
  readonly #random: RandomSource;

  /**
   * @param options - the random source.
   * @throws {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION` when `random` is not a function.
   */
  constructor(options?: RandomPickerOptions) {
    this.#random = randomPickerSource(options, 'PowerOfTwoPicker');
  }

  /**
   * Chooses the less loaded of two random candidates.
   *
   * @param candidates - the candidates that are up.
   * @returns the one of the two with the smaller `inFlight / weight`.
   */
  pick<C extends PickCandidate>(candidates: readonly C[]): C | undefined {
    if (candidates.length <= 1) return candidates[0];
    return cheaperOfTwo(candidates, this.#random, (c) => c.inFlight / c.weight);
  }
}
