import type { InvalidOptionError } from '../core/errors/InvalidOptionError.js';
import type { PickCandidate, Picker } from '../core/index.js';
import type { RandomPickerOptions } from './RandomPicker.js';
import { type RandomSource, randomPickerSource } from './random.js';

/**
 * Least connections: the candidate with the fewest in-flight requests per unit of weight, ties
 * broken at random. Looks at every candidate, so with many balancers sharing backends prefer
 * {@link PowerOfTwoPicker}, which herds less.
 *
 * @example
 * {@includeCode ./pickers.test.ts#leastConnections}
 */
export class LeastConnectionsPicker implements Picker {
  readonly #random: RandomSource;

  /**
   * @param options - the random source for ties.
   * @throws {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION` when `random` is not a function.
   */
  constructor(options?: RandomPickerOptions) {
    this.#random = randomPickerSource(options, 'LeastConnectionsPicker');
  }

  /**
   * Chooses the least loaded candidate.
   *
   * @param candidates - the candidates that are up.
   * @returns one with the smallest `inFlight / weight`.
   */
  pick<C extends PickCandidate>(candidates: readonly C[]): C | undefined {
    let best: C | undefined;
    let bestLoad = Number.POSITIVE_INFINITY;
    let ties = 0;
    for (const candidate of candidates) {
      const load = candidate.inFlight / candidate.weight;
      if (load < bestLoad) {
        best = candidate;
        bestLoad = load;
        ties = 1;
      } else if (load === bestLoad && this.#random() * ++ties < 1) {
        best = candidate; // reservoir sampling: each tied candidate with probability 1/ties
      }
    }
    return best;
  }
}
