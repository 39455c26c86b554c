import type { ShardAlgorithmName } from './algorithms/ShardAlgorithm.js';
import type { ShardKey, ShardNodeInput } from './ShardNode.js';

/** An inclusive range of positions in the algorithm's key space (see {@link RebalancePlan.space}). */
export type HashRange = {
  /** First position in the range. */
  readonly start: number;
  /** Last position in the range (inclusive). */
  readonly end: number;
};

/** One key's change of owner in a {@link RebalancePlan}. */
export type KeyMove = {
  /** The node that owns the key now. */
  readonly from: string;
  /** The node that owns it after the change. */
  readonly to: string;
};

/** Keys that change owner from one node to another in a {@link RebalancePlan}. */
export type ShardMove = {
  /** The node that owns these keys now. */
  readonly from: string;
  /** The node that owns them after the change. */
  readonly to: string;
  /** Share of the whole key space that moves this way, in [0, 1]. */
  readonly fraction: number;
  /**
   * The positions that move, for algorithms that partition a key space (`ring`, `ketama`:
   * 32-bit key hashes; `maglev`: table slots). Empty for `jump` and `rendezvous`.
   */
  readonly ranges: readonly HashRange[];
};

/** A change of topology to plan for: nodes to add and ids to remove. */
export type TopologyChange = {
  /** Nodes to add (ids, or `{ id, weight }`). */
  readonly add?: readonly ShardNodeInput[];
  /** Ids of nodes to remove. */
  readonly remove?: readonly string[];
};

/**
 * What a topology change would do, computed without applying it: which keys move from which node
 * to which, as shares of the key space and (where the algorithm has them) hash ranges, so data
 * can be copied before the switch. `destination(key)` answers exactly for any one key.
 */
export type RebalancePlan = {
  /** The algorithm planned for. */
  readonly algorithm: ShardAlgorithmName;
  /** Node ids before the change. */
  readonly before: readonly string[];
  /** Node ids after the change. */
  readonly after: readonly string[];
  /**
   * The key space the ranges are in: `ring32` (a key's 32-bit hash, from `sharder.position`),
   * `maglev-table` (its table slot), or `none` (jump, rendezvous: no ranges).
   */
  readonly space: 'ring32' | 'maglev-table' | 'none';
  /**
   * Whether `fraction`s are exact (range sizes) or estimated from a fixed sample of 65,536
   * keys (`jump`, `rendezvous`, whose moves are not ranges).
   */
  readonly exact: boolean;
  /** Share of the key space that changes owner, in [0, 1]. */
  readonly movedFraction: number;
  /** The moves, largest first. */
  readonly moves: readonly ShardMove[];
  /** Where `key` goes: `{ from, to }` when it moves, `undefined` when it stays. */
  destination(key: ShardKey): KeyMove | undefined;
};
