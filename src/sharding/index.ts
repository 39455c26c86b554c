/**
 * Keys to nodes with minimal movement: ConsistentHashSharder, jumpHash, ShardRouter.
 *
 * @module loadstone/sharding
 */
export type { KetamaPointFormat } from './algorithms/KetamaAlgorithm.js';
export type { ShardAlgorithmName } from './algorithms/ShardAlgorithm.js';
export { ConsistentHashSharder } from './ConsistentHashSharder.js';
export type {
  ConsistentHashSharderOptions,
  JumpOptions,
  KetamaOptions,
  MaglevOptions,
  RendezvousOptions,
  RingOptions,
  SharderNodeOptions,
} from './ConsistentHashSharderOptions.js';
export { jumpHash } from './jumpHash.js';
export type { HashRange, KeyMove, RebalancePlan, ShardMove, TopologyChange } from './RebalancePlan.js';
export type { ShardKey, ShardNode, ShardNodeInput, WeightedNodeInput } from './ShardNode.js';
export { type ShardKeyStrategy, ShardRouter, type ShardRouterOptions } from './ShardRouter.js';
export {
  type DateRangeUnit,
  shardByContentType,
  shardByDateRange,
  shardByField,
  shardByGeography,
} from './shardKeyStrategies.js';
