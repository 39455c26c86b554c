// The cross-process bus of `loadstone/cluster`. E (src/cluster/index.ts) re-exports all of this
// with `export * from './bus/index.js'`: ClusterBus, ClusterBusOptions, ClusterBusRelay,
// ClusterBusRelayOptions, ClusterBusRelayStats, BusDropReason, ClusterBusBridge and its types.
export { ClusterBus } from './ClusterBus.js';
export {
  ClusterBusBridge,
  type ClusterBusBridgeOptions,
  type ClusterBusBridgeStats,
} from './ClusterBusBridge.js';
export type { ClusterBusOptions } from './ClusterBusOptions.js';
export { ClusterBusRelay, type ClusterBusRelayStats } from './ClusterBusRelay.js';
export type { ClusterBusRelayOptions } from './ClusterBusRelayOptions.js';
export type { BusDropReason } from './messages.js';
