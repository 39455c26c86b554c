// The counters of a CircuitBreaker (internal), bumped by the façade, the state machine and the
// deadline queue, read by `stats()`.

/** Counts since construction; see CircuitBreakerStats for what each one means. */
export class CircuitCounters {
  calls = 0;
  successes = 0;
  failures = 0;
  timeouts = 0;
  aborts = 0;
  rejections = 0;
  opened = 0;
}
