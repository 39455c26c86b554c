import type { ShardKey, ShardNode } from '../ShardNode.js';

/** The algorithms a {@link ConsistentHashSharder} can use. */
export type ShardAlgorithmName = 'ring' | 'ketama' | 'jump' | 'rendezvous' | 'maglev';

/**
 * How an algorithm divides its key space: segment `k` covers `(ends[k-1], ends[k]]` (the first
 * starts at 0) and belongs to `owners[k]`; `ends` is sorted and its last entry is `size - 1`.
 * Algorithms without contiguous ranges (jump, rendezvous) have none.
 * @internal
 */
export type Partition = {
  readonly space: 'ring32' | 'maglev-table';
  readonly size: number;
  readonly ends: ArrayLike<number>;
  readonly owners: readonly string[];
};

/**
 * One placement algorithm. The sharder validates input and guarantees at least one node before
 * calling `locate`/`locateMany`, and `n` within the node count.
 * @internal
 */
export interface ShardAlgorithm {
  readonly name: ShardAlgorithmName;
  /** The node owning `key`. */
  locate(key: ShardKey): string;
  /** `n` distinct nodes for `key`, the owner first. */
  locateMany(key: ShardKey, n: number): string[];
  /** Brings the algorithm in line with `nodes` after `change` (one node added or removed). */
  update(nodes: readonly ShardNode[], change: { added?: ShardNode; removed?: ShardNode }): void;
  /** An independent copy, for planning a change without applying it. */
  clone(): ShardAlgorithm;
  /** The key-space partition, where the algorithm has one; and the key's position in it. */
  partition?(): Partition;
  position?(key: ShardKey): number;
}
