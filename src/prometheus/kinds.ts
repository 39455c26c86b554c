// The primitives PrometheusExporter recognises, each mapped in its own file; any other source
// gets mapGeneric.
import { batchProcessorKind } from './batchProcessorKind.js';
import { circuitBreakerKind } from './circuitBreakerKind.js';
import { clusterBusRelayKind } from './clusterBusRelayKind.js';
import { connectionPoolKind, connectionPoolManagerKind } from './connectionPoolKinds.js';
import { healthMonitorKind } from './healthMonitorKind.js';
import { jobQueueKind } from './jobQueueKind.js';
import type { Kind } from './Kind.js';
import { loadBalancerKind } from './loadBalancerKind.js';
import { priorityTaskQueueKind } from './priorityTaskQueueKind.js';
import { rateLimiterKind } from './rateLimiterKind.js';
import { tieredCacheKind } from './tieredCacheKind.js';
import { workerThreadPoolKind } from './workerThreadPoolKind.js';

/** The primitives `add` recognises, first match wins. @internal */
export const KINDS: readonly Kind[] = [
  workerThreadPoolKind,
  priorityTaskQueueKind,
  batchProcessorKind,
  jobQueueKind,
  connectionPoolManagerKind,
  connectionPoolKind,
  tieredCacheKind,
  healthMonitorKind,
  loadBalancerKind,
  rateLimiterKind,
  circuitBreakerKind,
  clusterBusRelayKind,
];
