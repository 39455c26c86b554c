import type { InvalidOptionError } from '../core/errors/InvalidOptionError.js';
import type { PickCandidate, Picker } from '../core/index.js';
import { checkOptionKeys, numberOption, optionNames, optionsObject } from '../core/internal/validate.js';
import { cheaperOfTwo, type RandomSource, randomOption } from './random.js';

/** Options of {@link PeakEwmaPicker}. */
export type PeakEwmaPickerOptions = {
  /**
   * Cost of a candidate with requests in flight but no latency sample yet, as in Finagle: large,
   * so that a new backend gets one probe at a time until its latency is known (a new backend
   * with nothing in flight costs 0 and is tried at once). A finite number >= 0.
   * @default 1_000_000_000
   */
  readonly penaltyMs?: number;
  /**
   * Source of uniform numbers in [0, 1), for the two random choices.
   * @default Math.random
   */
  readonly random?: () => number;
};

const OPTIONS = optionNames<PeakEwmaPickerOptions>()(['penaltyMs', 'random']);

/**
 * Peak-EWMA with power of two choices, as Finagle and linkerd balance: of two random
 * candidates, the one with the lower cost `latencyMs × (inFlight + 1) / weight` wins, where
 * `latencyMs` is the candidate's peak-sensitive moving average (the load balancer keeps it per
 * backend; its decay is `ewmaDecayMs`). A slow backend costs more even before requests pile up
 * on it, so it is routed around quickly, and its estimate decays while idle so it is retried.
 *
 * @example
 * {@includeCode ./pickers.test.ts#peakEwma}
 */
export class PeakEwmaPicker implements Picker {
  readonly #random: RandomSource;
  readonly #penaltyMs: number;

  /**
   * @param options - the penalty for unmeasured backends and the random source.
   * @throws {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION` for a bad option.
   */
  constructor(options?: PeakEwmaPickerOptions) {
    const opts = optionsObject('options', options);
    checkOptionKeys(opts, OPTIONS, 'PeakEwmaPicker');
    this.#penaltyMs = numberOption('options.penaltyMs', opts.penaltyMs ?? 1e9, 0);
    this.#random = randomOption('options.random', opts.random);
  }

  /**
   * Chooses the cheaper of two random candidates.
   *
   * @param candidates - the candidates that are up.
   * @returns the one of the two with the lower cost.
   */
  pick<C extends PickCandidate>(candidates: readonly C[]): C | undefined {
    if (candidates.length <= 1) return candidates[0];
    return cheaperOfTwo(candidates, this.#random, (c) => this.cost(c));
  }

  /**
   * The cost the picker compares: `latencyMs × (inFlight + 1) / weight`; without a latency
   * sample, `0` when idle and `(penaltyMs + inFlight) / weight` when busy.
   *
   * @param candidate - a candidate.
   * @returns its cost; lower is better.
   */
  cost(candidate: PickCandidate): number {
    const latency = candidate.latencyMs;
    const raw =
      latency === undefined
        ? candidate.inFlight === 0
          ? 0
          : this.#penaltyMs + candidate.inFlight
        : latency * (candidate.inFlight + 1);
    return raw / candidate.weight;
  }
}
