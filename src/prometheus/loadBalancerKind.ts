import { LoadBalancer } from '../balancing/index.js';
import { type Field, fields } from './fields.js';
import { type Kind, record } from './Kind.js';

const BALANCER: readonly Field[] = [
  ['inFlight', 'requests_in_flight', 'gauge', 'Requests running now.'],
  ['requests', 'requests_total', 'counter', 'Requests started.'],
  ['failures', 'failures_total', 'counter', 'Requests that failed.'],
  ['noTarget', 'no_target_total', 'counter', 'Requests refused because no backend was available.'],
];

const BACKEND: readonly Field[] = [
  ['weight', 'backend_weight', 'gauge', 'Backend weight.'],
  ['inFlight', 'backend_requests_in_flight', 'gauge', 'Requests running on the backend.'],
  ['requests', 'backend_requests_total', 'counter', 'Requests sent to the backend.'],
  ['failures', 'backend_failures_total', 'counter', 'Requests to the backend that failed.'],
  ['consecutiveFailures', 'backend_consecutive_failures', 'gauge', 'Failures in a row.'],
  ['ejections', 'backend_ejections_total', 'counter', 'Times outlier detection ejected the backend.'],
];

/**
 * `LoadBalancer`: the `balancer_*` families, and per backend (label `backend`) its counters, state and
 * latency.
 * @internal
 */
export const loadBalancerKind: Kind = {
  module: 'balancer',
  is: (s) => s instanceof LoadBalancer,
  map: (b, stats, labels) => {
    fields(b, 'balancer', stats, BALANCER, labels);
    for (const backend of Array.isArray(stats.backends) ? (stats.backends as unknown[]) : []) {
      const s = record(backend);
      const backendLabels = { ...labels, backend: String(s.id) };
      fields(b, 'balancer', s, BACKEND, backendLabels);
      b.stateSet(
        'balancer_backend_state',
        'Backend state (1 for the current one).',
        'state',
        ['up', 'down', 'ejected'],
        s.state,
        backendLabels,
      );
      b.gauge(
        'balancer_backend_ewma_latency_seconds',
        'Peak-EWMA latency estimate, when the picker keeps one.',
        s.ewmaMs,
        backendLabels,
        1 / 1000,
      );
      b.latency(
        'balancer_backend_latency_seconds',
        'Request latency on the backend.',
        s.latency,
        backendLabels,
      );
    }
  },
};
