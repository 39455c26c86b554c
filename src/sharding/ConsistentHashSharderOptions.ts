import type { KetamaPointFormat } from './algorithms/KetamaAlgorithm.js';
import type { ShardNodeInput } from './ShardNode.js';

/** The options every algorithm shares. */
export type SharderNodeOptions = {
  /**
   * The nodes to shard over: ids, or `{ id, weight }`. At least one; ids unique and non-empty;
   * weights > 0 (integers for `jump`) and at most 1,000,000, default 1. A weight is memory: the
   * ring points (`round(vnodes × weight)`) or jump buckets of all nodes together are at most
   * 4,194,304, and a node past that is refused.
   */
  readonly nodes: readonly ShardNodeInput[];
};

/** `ring`: virtual nodes on a 32-bit ring, murmur3-hashed (the default algorithm). */
export type RingOptions = SharderNodeOptions & {
  /** The algorithm: `ring` when omitted. */
  /** The algorithm: `ring` when omitted. */
  /** The algorithm: `ring` when omitted. */
  /** The algorithm: `ring` when omitted. */
  /** The algorithm: `ring` when omitted. */
  readonly algorithm?: 'ring';
  /**
   * Ring points per unit of weight. More points, better balance, more memory (8 bytes a point).
   * The default keeps the busiest of 10 equal nodes within 10 % of the mean (measured over
   * 200 random node sets: median 1.036, worst 1.086 × the mean); fewer points, more imbalance.
   * Minimum: 1. Maximum: 65536.
   * @default 2048
   */
  readonly vnodes?: number;
};

/** `ketama`: the memcached clients' MD5 continuum, point for point. */
export type KetamaOptions = SharderNodeOptions & {
  /** The algorithm. */
  readonly algorithm: 'ketama';
  /**
   * Which client's point names to reproduce (see {@link KetamaPointFormat}). Node ids are
   * `host:port` (or `host`, meaning the default port) as the client was given them.
   * @default 'libmemcached'
   */
  readonly pointFormat?: KetamaPointFormat;
  /**
   * The port libmemcached leaves out of point names (`host-i` rather than `host:port-i`).
   * Used by the `libmemcached` format only.
   * @default 11211
   */
  readonly defaultPort?: number;
};

/** `jump`: Lamping & Veach jump consistent hash; a node of weight w owns w buckets. */
export type JumpOptions = SharderNodeOptions & {
  /** The algorithm. */
  readonly algorithm: 'jump';
};

/** `rendezvous`: highest random weight; O(nodes) per lookup, exact weighted shares. */
export type RendezvousOptions = SharderNodeOptions & {
  /** The algorithm. */
  readonly algorithm: 'rendezvous';
};

/** `maglev`: Google's Maglev lookup table; O(1) lookups. */
export type MaglevOptions = SharderNodeOptions & {
  /** The algorithm. */
  readonly algorithm: 'maglev';
  /**
   * Lookup-table size: a prime, well above the node count (Maglev suggests ≥ 100 × nodes for
   * under 1 % imbalance). Changing it re-maps most keys, so choose it once for the largest
   * cluster you expect. Minimum: 3 (and more than the node count). Maximum: 16777259.
   * @default 65537
   */
  readonly tableSize?: number;
};

/**
 * Options of {@link ConsistentHashSharder}: the nodes, the algorithm, and that algorithm's own
 * settings (an option of another algorithm is refused, so a typo cannot pass unnoticed).
 */
export type ConsistentHashSharderOptions =
  | RingOptions
  | KetamaOptions
  | JumpOptions
  | RendezvousOptions
  | MaglevOptions;
