/**
 * Client-side load balancing over a set of backends, with pluggable strategies, affinity groups,
 * passive outlier detection and active health checks.
 *
 * @module loadstone/balancing
 */
export type { Backend, BackendCandidate, BackendInput, BackendState } from './Backend.js';
export type { BackendLease, LeaseResult } from './BackendLease.js';
export { BoundedLoadHashPicker, type BoundedLoadHashPickerOptions } from './BoundedLoadHashPicker.js';
export { ConsistentHashPicker, type ConsistentHashPickerOptions } from './ConsistentHashPicker.js';
export type {
  BackendChangeReason,
  BackendDownEvent,
  BackendMembershipEvent,
  BackendUpEvent,
  LoadBalancerEvents,
} from './events.js';
export type { HashAlgorithm } from './HashRingIndex.js';
export { LeastConnectionsPicker } from './LeastConnectionsPicker.js';
export { LoadBalancer } from './LoadBalancer.js';
export type {
  ActiveHealthCheckOptions,
  FailureAccrualBreakerOptions,
  FailureAccrualOptions,
  LoadBalancerOptions,
  OutlierDetectionOptions,
} from './LoadBalancerOptions.js';
export type { BackendStats, LoadBalancerStats } from './LoadBalancerStats.js';
export { PeakEwmaPicker, type PeakEwmaPickerOptions } from './PeakEwmaPicker.js';
export { PowerOfTwoPicker } from './PowerOfTwoPicker.js';
export { RandomPicker, type RandomPickerOptions } from './RandomPicker.js';
export { RoundRobinPicker } from './RoundRobinPicker.js';
export type { RunOptions } from './RunOptions.js';
export { WeightedRandomPicker } from './WeightedRandomPicker.js';
export { WeightedRoundRobinPicker } from './WeightedRoundRobinPicker.js';
