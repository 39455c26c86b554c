/**
 * TieredCache over pluggable tiers (memory, Redis), a Redis lock for cross-process stampede
 * protection, and a Redis pub/sub bus for invalidations. The core types a TieredCache is
 * configured with, so one import serves.
 *
 * @module loadstone/cache
 */
export type { Bus, BusHandler } from '../core/Bus.js';
export type { CacheEntry, CacheTier, PromiseOr } from '../core/CacheTier.js';
export type { CacheLock } from './CacheLock.js';
export type { MemoryTierCommonOptions, MemoryTierOptions } from './MemoryTier.js';
export { MemoryTier } from './MemoryTier.js';
export type { RedisBusOptions, RedisBusPublisher, RedisBusSubscriber } from './RedisBus.js';
export { RedisBus } from './RedisBus.js';
export type { RedisCacheClient, RedisClusterNodes, RedisLockClient } from './RedisClient.js';
export type { RedisLockOptions } from './RedisLock.js';
export { RedisLock } from './RedisLock.js';
export type { RedisTierOptions } from './RedisTier.js';
export { RedisTier } from './RedisTier.js';
export type { Serializer } from './Serializer.js';
export { jsonSerializer } from './Serializer.js';
export { TieredCache } from './TieredCache.js';
export type {
  GetOrSetOptions,
  Loader,
  LoaderContext,
  SetOptions,
  TieredCacheEvents,
  TieredCacheOptions,
  TieredCacheStats,
  TierFailedEvent,
  TierStats,
  TtlPolicy,
} from './TieredCacheOptions.js';
