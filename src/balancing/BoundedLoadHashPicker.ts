import type { InvalidOptionError } from '../core/errors/InvalidOptionError.js';
import type { PickCandidate, PickContext, Picker } from '../core/index.js';
import {
  checkOptionKeys,
  numberOption,
  oneOfOption,
  optionNames,
  optionsObject,
} from '../core/internal/validate.js';
import { type ConsistentHashPickerOptions, HASH_ALGORITHMS } from './ConsistentHashPicker.js';
import { HashRingIndex } from './HashRingIndex.js';

/** Options of {@link BoundedLoadHashPicker}. */
export type BoundedLoadHashPickerOptions = ConsistentHashPickerOptions & {
  /**
   * ε: how far above the mean a backend's in-flight count may go, as a fraction: each backend
   * takes at most `⌈(1 + ε) × mean⌉` requests. Small values balance better but move more keys
   * off their owner; 0.25 is HAProxy's 125 % `hash-balance-factor`. A finite number > 0.
   * @default 0.25
   */
  readonly epsilon?: number;
};

const OPTIONS = optionNames<BoundedLoadHashPickerOptions>()(['algorithm', 'epsilon']);

/**
 * Consistent hashing with bounded loads (Mirrokni, Thorup and Zadimoghaddam, as Vimeo and
 * HAProxy use it): `ctx.key` goes to its owner on the ring unless that backend already has
 * `⌈(1 + ε) × mean in-flight⌉` requests (the mean counting this one), in which case it walks
 * on along the ring to the first backend under the bound. No backend ever exceeds the bound,
 * and keys stay sticky while their backend is not overloaded. Weights place backends on the
 * ring; the bound is the same for all.
 *
 * @example
 * {@includeCode ./pickers.test.ts#boundedLoad}
 */
export class BoundedLoadHashPicker implements Picker {
  readonly #ring: HashRingIndex;
  readonly #epsilon: number;

  /**
   * @param options - ε and the algorithm.
   * @throws {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION` for a bad option.
   */
  constructor(options?: BoundedLoadHashPickerOptions) {
    const opts = optionsObject('options', options);
    checkOptionKeys(opts, OPTIONS, 'BoundedLoadHashPicker');
    this.#epsilon = numberOption('options.epsilon', opts.epsilon ?? 0.25, 0, Number.POSITIVE_INFINITY, true);
    this.#ring = new HashRingIndex(
      oneOfOption('options.algorithm', opts.algorithm ?? 'ring', HASH_ALGORITHMS),
    );
  }

  /**
   * The most requests a candidate may have once this one is added:
   * `⌈(1 + ε) × (Σ inFlight + 1) / candidates⌉`.
   *
   * @param candidates - the candidates that are up.
   * @returns the bound, >= 1.
   */
  bound(candidates: readonly PickCandidate[]): number {
    let total = 1;
    for (const candidate of candidates) total += candidate.inFlight;
    return Math.ceil(((1 + this.#epsilon) * total) / candidates.length);
  }

  /**
   * Chooses the first candidate from `ctx.key`'s owner along the ring that is under the bound.
   *
   * @param candidates - the candidates that are up.
   * @param ctx - `key` is required.
   * @returns that candidate.
   * @throws {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION` when `ctx.key` is neither
   * a string nor a finite number.
   */
  pick<C extends PickCandidate>(candidates: readonly C[], ctx?: PickContext): C | undefined {
    const bound = candidates.length === 0 ? 0 : this.bound(candidates);
    return this.#ring.find(candidates, ctx, (c) => c.inFlight < bound);
  }

  /**
   * Takes a removed candidate off the ring.
   *
   * @param id - the removed candidate's id.
   */
  forget(id: string): void {
    this.#ring.forget(id);
  }
}
