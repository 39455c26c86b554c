// The cross-process bus of `loadstone/cluster`. E (src/cluster/index.ts) re-exports all of this
// with `export * from './bus/index.js'`: ClusterBus, ClusterBusOptions, ClusterBusRelay,
// ClusterBusRelayOptions, ClusterBusRelayStats, BusDropReason.
export { ClusterBus } from './ClusterBus.js';
export type { ClusterBusOptions } from './ClusterBusOptions.js';
export { ClusterBusRelay, type ClusterBusRelayStats } from './ClusterBusRelay.js';
export type { ClusterBusRelayOptions } from './ClusterBusRelayOptions.js';
export type { BusDropReason } from './messages.js';
