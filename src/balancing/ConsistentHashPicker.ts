import type { InvalidOptionError } from '../core/errors/InvalidOptionError.js';
import type { PickCandidate, PickContext, Picker } from '../core/index.js';
import { checkOptionKeys, oneOfOption, optionNames, optionsObject } from '../core/internal/validate.js';
import type { ConsistentHashSharder } from '../sharding/index.js';
import { type HashAlgorithm, HashRingIndex } from './HashRingIndex.js';

/** Options of {@link ConsistentHashPicker} and {@link BoundedLoadHashPicker}. */
export type ConsistentHashPickerOptions = {
  /**
   * The {@link ConsistentHashSharder} algorithm that places backends: `ring` (murmur3 ring with
   * virtual nodes, weighted), `ketama`, `rendezvous` or `maglev`.
   * @default 'ring'
   */
  readonly algorithm?: HashAlgorithm;
};

/** @internal */
export const HASH_ALGORITHMS: readonly HashAlgorithm[] = ['ring', 'ketama', 'rendezvous', 'maglev'];

const OPTIONS = optionNames<ConsistentHashPickerOptions>()(['algorithm']);

/**
 * Consistent hashing on `ctx.key` (through {@link ConsistentHashSharder}), for sticky routing: a
 * key goes to the same backend while it is up, and when it is not, to the next backend on the
 * ring; adding or removing a backend moves only the keys it takes or had.
 *
 * @example
 * {@includeCode ./pickers.test.ts#consistentHash}
 */
export class ConsistentHashPicker implements Picker {
  readonly #ring: HashRingIndex;

  /**
   * @param options - the algorithm.
   * @throws {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION` for an unknown algorithm.
   */
  constructor(options?: ConsistentHashPickerOptions) {
    const opts = optionsObject('options', options);
    checkOptionKeys(opts, OPTIONS, 'ConsistentHashPicker');
    this.#ring = new HashRingIndex(
      oneOfOption('options.algorithm', opts.algorithm ?? 'ring', HASH_ALGORITHMS),
    );
  }

  /**
   * Chooses the owner of `ctx.key`, or the next candidate after it on the ring.
   *
   * @param candidates - the candidates that are up.
   * @param ctx - `key` is required.
   * @returns the candidate the key maps to.
   * @throws {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION` when `ctx.key` is neither
   * a string nor a finite number (the balancer's `run` rejects with it; `pick` throws it).
   */
  pick<C extends PickCandidate>(candidates: readonly C[], ctx?: PickContext): C | undefined {
    return this.#ring.find(candidates, ctx, () => true);
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
