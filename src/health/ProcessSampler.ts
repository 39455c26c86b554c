import {
  type EventLoopUtilization,
  type IntervalHistogram,
  monitorEventLoopDelay,
  performance,
} from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import type { InvalidOptionError } from '../core/errors/InvalidOptionError.js';
import { checkOptionKeys, integerOption, optionNames, optionsObject } from '../core/internal/validate.js';
import type { HealthSample, HealthSampler } from './HealthSample.js';

/** Options of {@link ProcessSampler}. */
export type ProcessSamplerOptions = {
  /**
   * Timer resolution of the event-loop delay histogram (`monitorEventLoopDelay`), in ms. The
   * histogram's native timer wakes the process every `resolution` ms, and on a 2-vCPU VM those
   * wake-ups were most of the monitor's cost (idle process: 0.55 % of a core at 10 ms, 0.3 % at
   * 20 ms). The histogram gets about `intervalMs / resolution` values per interval: with fewer than
   * 100 (the defaults give 50), any single stall is the p99 of its interval; with many more, one
   * stall drowns among the short values and shows only in `max`. Minimum: 1.
   * @default 20
   */
  readonly eventLoopResolutionMs?: number;
};

const OPTIONS = optionNames<ProcessSamplerOptions>()(['eventLoopResolutionMs']);

const NS_PER_MS = 1e6;
/**
 * Utilisation and CPU over a shorter window are noise (a `refresh()` right after start-up reads
 * the start-up's own busy loop as 100 %): a sample taken sooner repeats the previous figures and
 * leaves the window open.
 */
const MIN_WINDOW_MS = 100;

/**
 * The default {@link HealthSampler}: measures this process with Node's own counters, each read
 * once per sample: `monitorEventLoopDelay` (reset after every read), `performance.eventLoopUtilization`
 * deltas, `v8.getHeapStatistics()`, `process.memoryUsage.rss()` and `process.cpuUsage()` deltas.
 * Utilisation and CPU need a window of at least 100 ms: a sample taken sooner repeats the previous
 * figures (0 for the first). The histogram's timer is Node's own and does not keep the process alive.
 *
 * @example
 * {@includeCode ./HealthMonitor.test.ts#processSampler}
 */
export class ProcessSampler implements HealthSampler {
  readonly #histogram: IntervalHistogram;
  readonly #resolutionMs: number;
  #elu: EventLoopUtilization;
  #cpu: NodeJS.CpuUsage;
  #wallMs: number;
  #utilization = 0;
  #cpuPercent = 0;
  #disposed = false;
  #probe: NodeJS.Timeout | undefined;
  #probeArmedAt = 0;
  /** Delay of the first tick after the last reset, in ms; `undefined` until the probe fired. */
  #probeDelayMs: number | undefined;

  /**
   * Starts measuring: the first {@link ProcessSampler.sample} covers the time since construction.
   *
   * @param options - histogram resolution.
   * @throws {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION` for a bad option.
   */
  constructor(options?: ProcessSamplerOptions) {
    const opts = optionsObject('options', options);
    checkOptionKeys(opts, OPTIONS, 'ProcessSampler');
    this.#resolutionMs = integerOption('options.eventLoopResolutionMs', opts.eventLoopResolutionMs ?? 20, 1);
    this.#histogram = monitorEventLoopDelay({ resolution: this.#resolutionMs });
    this.#histogram.enable();
    this.#armProbe();
    this.#elu = performance.eventLoopUtilization();
    this.#cpu = process.cpuUsage();
    this.#wallMs = performance.now();
  }

  /**
   * Measures the interval since the previous call and starts the next one.
   *
   * @returns the interval's measurements.
   */
  sample(): HealthSample {
    const h = this.#histogram;
    const res = this.#resolutionMs;
    // Each recorded value is the time between two ticks of a `resolution` ms timer, so the
    // resolution itself is subtracted (as @fastify/under-pressure does).
    const delay = (ns: number): number => Math.max(0, ns / NS_PER_MS - res);
    const n = h.count;
    let p50 = n === 0 ? 0 : delay(h.percentile(50));
    let p99 = n === 0 ? 0 : delay(h.percentile(99));
    let max = n === 0 ? 0 : delay(h.max);
    let mean = n === 0 ? 0 : delay(h.mean);
    // The probe measured the one tick the histogram lost to the previous reset: add it as one
    // more value. It is the p99 whenever fewer than 100 values were recorded (any single value
    // above the rest is, then); with more, one value cannot move the p99 far, so it is left.
    const lost = this.#probeDelayMs;
    if (lost !== undefined) {
      if (n === 0) p50 = lost;
      if (Math.floor((n + 1) * 0.01) === 0 && lost > p99) p99 = lost;
      if (lost > max) max = lost;
      mean = (mean * n + lost) / (n + 1);
    }
    h.reset();
    this.#armProbe();
    const eventLoopDelay = { p50, p99, max, mean };

    const nowMs = performance.now();
    if (nowMs - this.#wallMs >= MIN_WINDOW_MS) {
      const elu = performance.eventLoopUtilization();
      const utilization = performance.eventLoopUtilization(elu, this.#elu).utilization;
      const cpu = process.cpuUsage();
      const cpuMs = (cpu.user - this.#cpu.user + cpu.system - this.#cpu.system) / 1000;
      this.#utilization = Number.isFinite(utilization) ? utilization : 0;
      this.#cpuPercent = Math.max(0, (cpuMs / (nowMs - this.#wallMs)) * 100);
      this.#elu = elu;
      this.#cpu = cpu;
      this.#wallMs = nowMs;
    }
    const heap = getHeapStatistics();
    return {
      eventLoopDelay,
      eventLoopUtilization: this.#utilization,
      heapUsedBytes: heap.used_heap_size,
      heapLimitBytes: heap.heap_size_limit,
      rssBytes: process.memoryUsage.rss(),
      cpuPercent: this.#cpuPercent,
    };
  }

  /** Stops the event-loop delay histogram. Idempotent. */
  [Symbol.dispose](): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#histogram.disable();
    if (this.#probe !== undefined) clearTimeout(this.#probe);
  }

  /**
   * `histogram.reset()` also forgets when the histogram's timer last ticked, so the first tick
   * after a reset records nothing: a stall that begins right after a sample would be lost (it is,
   * in @fastify/under-pressure). A one-shot timer, armed at each reset, measures that tick instead.
   */
  #armProbe(): void {
    this.#probeDelayMs = undefined;
    if (this.#disposed) return;
    if (this.#probe !== undefined) clearTimeout(this.#probe);
    this.#probeArmedAt = performance.now();
    this.#probe = setTimeout(this.#onProbe, this.#resolutionMs);
    this.#probe.unref();
  }

  readonly #onProbe = (): void => {
    this.#probe = undefined;
    this.#probeDelayMs = Math.max(0, performance.now() - this.#probeArmedAt - this.#resolutionMs);
  };
}
