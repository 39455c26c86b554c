import { CircuitBreaker } from '../resilience/index.js';
import { type Field, fields } from './fields.js';
import { type Kind, record } from './Kind.js';

const BREAKER: readonly Field[] = [
  ['isolated', 'isolated', 'gauge', '1 when the breaker is isolated (held open by hand).'],
  ['calls', 'calls_total', 'counter', 'Calls made through the breaker.'],
  ['successes', 'successes_total', 'counter', 'Calls that succeeded.'],
  ['failures', 'failures_total', 'counter', 'Calls that failed.'],
  ['timeouts', 'timeouts_total', 'counter', 'Calls that timed out.'],
  ['aborts', 'aborts_total', 'counter', 'Calls aborted by their caller.'],
  ['rejections', 'rejections_total', 'counter', 'Calls refused because the breaker was open.'],
  ['opened', 'opened_total', 'counter', 'Times the breaker opened.'],
  ['consecutiveFailures', 'consecutive_failures', 'gauge', 'Failures in a row.'],
];

/** `CircuitBreaker`: state, call counters, the current window and call durations. @internal */
export const circuitBreakerKind: Kind = {
  module: 'breaker',
  is: (s) => s instanceof CircuitBreaker,
  map: (b, stats, labels) => {
    b.stateSet(
      'breaker_state',
      'Breaker state (1 for the current one).',
      'state',
      ['closed', 'open', 'half-open'],
      stats.state,
      labels,
    );
    fields(b, 'breaker', stats, BREAKER, labels);
    const window = record(stats.window);
    b.gauge('breaker_window_calls', 'Calls in the current sampling window.', window.calls, labels);
    b.gauge('breaker_window_failures', 'Failures in the current sampling window.', window.failures, labels);
    b.gauge(
      'breaker_window_failure_ratio',
      'Failure ratio of the current sampling window (0-1).',
      window.failureRatio,
      labels,
    );
    b.latency(
      'breaker_call_duration_seconds',
      'Duration of calls through the breaker.',
      stats.latency,
      labels,
    );
  },
};
