/**
 * Event-loop delay over one sampling interval, in ms, with the histogram's timer resolution
 * already subtracted (an idle loop reads about 0, not `resolution`).
 */
export type EventLoopDelay = {
  /** Median delay, in ms. */
  readonly p50: number;
  /** 99th-percentile delay, in ms: what the `eventLoopDelayMs` threshold is compared with. */
  readonly p99: number;
  /** Longest delay seen, in ms. */
  readonly max: number;
  /** Mean delay, in ms. */
  readonly mean: number;
};

/**
 * The raw process measurements of one sampling interval, as a {@link HealthSampler} takes them.
 * The monitor turns them into a status with its thresholds.
 */
export type HealthSample = {
  /** Event-loop delay over the interval. */
  readonly eventLoopDelay: EventLoopDelay;
  /** Share of the interval the event loop spent busy, from 0 to 1 (`performance.eventLoopUtilization`). */
  readonly eventLoopUtilization: number;
  /** V8 heap in use, in bytes. */
  readonly heapUsedBytes: number;
  /** The V8 heap's size limit (`heap_size_limit`, set by `--max-old-space-size`), in bytes. */
  readonly heapLimitBytes: number;
  /** Resident set size of the process, in bytes. */
  readonly rssBytes: number;
  /**
   * CPU time (user + system) the process used over the interval, as a percentage of one core:
   * `100` is one core fully busy; worker threads can push it above 100.
   */
  readonly cpuPercent: number;
};

/**
 * Where a health monitor gets its measurements: the seam that lets tests drive the monitor's
 * thresholds and hysteresis with scripted samples instead of real load. The default is
 * {@link ProcessSampler}.
 *
 * @example
 * {@includeCode ./HealthMonitor.test.ts#sampler}
 */
export interface HealthSampler {
  /**
   * Measures the interval since the previous call (or since the sampler was made) and starts a
   * new one. Called once per monitor interval, synchronously; keep it cheap.
   *
   * @returns the measurements.
   */
  sample(): HealthSample;

  /** Releases what the sampler holds (the event-loop histogram); called by the monitor's `close()`. */
  [Symbol.dispose]?(): void;
}
