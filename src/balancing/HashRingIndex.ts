// Internal: the ConsistentHashSharder behind the hash strategies, kept in step with the
// candidates it is shown, and a walk from a key's owner along the ring.
import type { PickCandidate, PickContext } from '../core/index.js';
import { InvalidOptionError } from '../core/index.js';
import { ConsistentHashSharder, type ShardKey } from '../sharding/index.js';

/** The sharder algorithms the hash strategies can use (all but `jump`, which cannot remove any node). */
export type HashAlgorithm = 'ring' | 'ketama' | 'rendezvous' | 'maglev';

/** @internal */
export class HashRingIndex {
  readonly #algorithm: HashAlgorithm;
  #sharder: ConsistentHashSharder | undefined;
  /** Candidates by id, per candidates array (the balancer reuses arrays until something changes). */
  #byId = new WeakMap<readonly PickCandidate[], Map<string, PickCandidate>>();

  constructor(algorithm: HashAlgorithm) {
    this.#algorithm = algorithm;
  }

  /**
   * Calls `accept` on the candidates in ring order from `ctx.key`'s owner (down or unknown
   * nodes skipped) and returns the first accepted.
   */
  find<C extends PickCandidate>(
    candidates: readonly C[],
    ctx: PickContext | undefined,
    accept: (candidate: C) => boolean,
  ): C | undefined {
    const key = ctx?.key;
    if (typeof key !== 'string' && !(typeof key === 'number' && Number.isFinite(key))) {
      throw new InvalidOptionError(
        'ctx.key',
        'a string or a finite number (hash strategies need a key)',
        key,
      );
    }
    if (candidates.length === 0) return undefined;
    const byId = this.#index(candidates) as Map<string, C>;
    const sharder = this.#sharder as ConsistentHashSharder;
    const owner = byId.get(sharder.getNode(key as ShardKey));
    if (owner !== undefined && accept(owner)) return owner;
    for (const id of sharder.getNodes(key as ShardKey, sharder.size)) {
      const candidate = byId.get(id);
      if (candidate !== undefined && candidate !== owner && accept(candidate)) return candidate;
    }
    return undefined;
  }

  forget(id: string): void {
    if (this.#sharder?.hasNode(id) !== true) return;
    this.#sharder.removeNode(id);
    this.#byId = new WeakMap();
  }

  #index(candidates: readonly PickCandidate[]): Map<string, PickCandidate> {
    let byId = this.#byId.get(candidates);
    if (byId !== undefined) return byId;
    byId = new Map();
    for (const candidate of candidates) {
      byId.set(candidate.id, candidate);
      const node = { id: candidate.id, weight: candidate.weight };
      try {
        if (this.#sharder === undefined) {
          this.#sharder = new ConsistentHashSharder({ algorithm: this.#algorithm, nodes: [node] });
        } else if (!this.#sharder.hasNode(candidate.id)) {
          this.#sharder.addNode(node);
        }
      } catch (error) {
        // The ring is the picker's, not the caller's: name the backend whose weight it cannot hold.
        if (!(error instanceof InvalidOptionError)) throw error;
        throw new InvalidOptionError(`backend "${candidate.id}" weight`, error.expected, candidate.weight);
      }
    }
    this.#byId.set(candidates, byId);
    return byId;
  }
}
