/**
 * HealthMonitor (status from event-loop, memory and CPU samples plus user checks, probe handlers,
 * load shedding), aggregateHealth for a cluster primary, and MetricsHistory for trend lines.
 *
 * @module loadstone/health
 */
export type {
  AggregatedHealth,
  AggregatedHealthEntry,
  AggregateHealthOptions,
} from './aggregateHealth.js';
export { aggregateHealth } from './aggregateHealth.js';
export { HealthMonitor } from './HealthMonitor.js';
export type {
  HealthCheckState,
  HealthHysteresis,
  HealthMonitorEvents,
  HealthMonitorOptions,
  HealthShutdownBeganEvent,
  HealthSnapshot,
  HealthStatusChangedEvent,
  HealthThresholds,
  LoadSheddingOptions,
  PrioritySheddingOptions,
  ReadinessOptions,
  ThresholdLevels,
} from './HealthMonitorOptions.js';
export type { EventLoopDelay, HealthSample, HealthSampler } from './HealthSample.js';
export type { ShedDecision } from './LoadShedder.js';
export {
  type HistoryMark,
  type HistorySeries,
  type HistorySnapshot,
  MetricsHistory,
  type MetricsHistoryStats,
  type WindowStats,
} from './MetricsHistory.js';
export type { MetricsHistoryOptions } from './MetricsHistoryOptions.js';
export type { ProcessSamplerOptions } from './ProcessSampler.js';
export { ProcessSampler } from './ProcessSampler.js';
