// The public surface of loadstone's core: errors, the small interfaces the primitives share, and
// their basic implementations. `internal/` is deliberately not exported.
export type { Bus, BusHandler } from './Bus.js';
export type { CacheEntry, CacheTier, PromiseOr } from './CacheTier.js';
export type { Clock } from './Clock.js';
export { systemClock } from './Clock.js';
export type { Closeable, CloseOptions } from './Closeable.js';
export { isCloseable } from './Closeable.js';
export type {
  CacheLoadContext,
  JobRunContext,
  PoolAcquireContext,
  ThreadTaskContext,
  TracedOutcome,
} from './diagnostics.js';
export { diagnosticsChannels } from './diagnostics.js';
export * from './errors/index.js';
export type { HealthCheck, HealthCheckResult, HealthStatus } from './HealthCheck.js';
export { healthStatuses, worstStatus } from './HealthCheck.js';
export type { InProcessBusOptions } from './InProcessBus.js';
export { InProcessBus } from './InProcessBus.js';
export type {
  JsonArray,
  JsonCompatible,
  JsonCompatibleValue,
  JsonObject,
  JsonPrimitive,
  JsonValue,
} from './Json.js';
export type { LatencyRecorderOptions, LatencySnapshot } from './LatencyRecorder.js';
export { LatencyRecorder } from './LatencyRecorder.js';
export type { LoadChange, LoadSignal } from './LoadSignal.js';
export type { ManualLoadSignalOptions } from './ManualLoadSignal.js';
export { ManualLoadSignal } from './ManualLoadSignal.js';
export type { MetricsSource } from './MetricsSource.js';
export {
  fromNodeRedis,
  type NodeRedisAdapter,
  type NodeRedisClient,
  type NodeRedisClusterClient,
  type NodeRedisSubscription,
} from './nodeRedis.js';
export type { PickCandidate, PickContext, Picker, PickOutcome } from './Picker.js';
export type { RandomSource } from './RandomSource.js';
