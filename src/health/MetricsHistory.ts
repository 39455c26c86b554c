import type { Closeable, CloseOptions } from '../core/Closeable.js';
import { CapacityExceededError } from '../core/errors/CapacityExceededError.js';
import { ClosedError } from '../core/errors/ClosedError.js';
import { InvalidOptionError } from '../core/errors/InvalidOptionError.js';
import { nonEmptyStringOption } from '../core/internal/validate.js';
import { warnThrew } from '../core/internal/warnThrew.js';
import type { MetricsSource } from '../core/MetricsSource.js';
import { numericLeaves } from './history/numericLeaves.js';
import { SeriesRing } from './history/SeriesRing.js';
import { type WindowStats, windowStats } from './history/windowStats.js';
import {
  type MetricsHistoryOptions,
  type ResolvedMetricsHistoryOptions,
  resolveMetricsHistoryOptions,
} from './MetricsHistoryOptions.js';

export type { WindowStats } from './history/windowStats.js';

/** An event on the time axis: a worker restarted, a rolling reload began or ended. */
export type HistoryMark = {
  /** When, in the clock's milliseconds. */
  readonly t: number;
  /** What happened, e.g. `restart`, `reload`, `exit`. */
  readonly kind: string;
  /** Which (a worker's slot, a reload's number), shown as text. */
  readonly label: string;
};

/** One series in a {@link HistorySnapshot}: `v[i]` was the value at `t[i]`. */
export type HistorySeries = {
  /** Sample times, ms, oldest first. */
  readonly t: number[];
  /** Sample values; `null` for a gap. */
  readonly v: (number | null)[];
};

/**
 * The JSON form of a history (`version` 1): what the supervisor's `/history.json` serves. Each
 * series is two arrays of equal length, times (`t`, ms) and values (`v`), oldest first; a `null`
 * value is a gap (a worker that was down). Two samples further apart than twice `intervalMs`
 * are a gap too.
 */
export type HistorySnapshot = {
  /** The format's version: 1. A change that breaks a reader gets a new one. */
  readonly version: 1;
  /** The clock's time of the snapshot. */
  readonly now: number;
  /** The sampling interval, ms. */
  readonly intervalMs: number;
  /** Samples kept per series. */
  readonly capacity: number;
  /** Every series with a sample after `since`, by name. */
  readonly series: Readonly<Record<string, HistorySeries>>;
  /** The marks after `since`, oldest first. */
  readonly marks: readonly HistoryMark[];
};

/** {@link MetricsHistory.stats}. */
export type MetricsHistoryStats = {
  /** Series held. */
  readonly series: number;
  /** Samples held, over every series. */
  readonly samples: number;
  /** Bytes the series' rings hold: `series × capacity × 16`, fixed as each series is created. */
  readonly bytes: number;
  /** Sources being sampled. */
  readonly trackedSources: number;
  /** New series refused because `maxSeries` were held. */
  readonly seriesRefusedTotal: number;
  /** Tracked sources whose `stats()` threw when sampled. */
  readonly sampleErrorsTotal: number;
  /** Marks held. */
  readonly marks: number;
};

/**
 * Keeps recent values of metrics in fixed memory, for trend lines and "what happened in the
 * last five minutes": every `intervalMs` it samples the sources it tracks (each numeric field of
 * `stats()` becomes a series named `<name>.<field path>`), and anything may `record` a value of
 * its own (the supervisor records each worker's heartbeat). Each series is a ring of its newest
 * `capacity` samples, allocated once: 16 bytes a sample, so memory is at most
 * `maxSeries × capacity × 16` bytes (10 workers × 12 figures × 30 minutes at 1 s: 3.5 MB).
 * `window()` gives min, mean, max, p50 and p99 over the last milliseconds; `snapshot()` the JSON.
 *
 * @example
 * {@includeCode ./MetricsHistory.test.ts#history}
 */
export class MetricsHistory implements Closeable, MetricsSource<MetricsHistoryStats> {
  readonly #options: ResolvedMetricsHistoryOptions;
  readonly #series = new Map<string, SeriesRing>();
  readonly #sources = new Map<string, { stats(): unknown }>();
  readonly #failingSources = new Set<string>();
  readonly #marks: HistoryMark[] = [];
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  #seriesRefused = 0;
  #sampleErrors = 0;

  /**
   * @param options - interval, ring size, limits, clock.
   * @throws `InvalidOptionError` (`ERR_LOADSTONE_INVALID_OPTION`) for a bad option.
   */
  constructor(options?: MetricsHistoryOptions) {
    this.#options = resolveMetricsHistoryOptions(options);
  }

  /** `true` once closed. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Samples `source` every `intervalMs` from now on, as series `<name>.<field path>`.
   *
   * @param name - a name not tracked yet.
   * @param source - any `MetricsSource`: a pool, a queue, a cache, a monitor.
   * @returns a Disposable that stops tracking it (its series stay).
   * @throws `InvalidOptionError` for an empty or taken name, or a source without `stats()`;
   *   `ClosedError` once closed (as `record` and `mark`).
   */
  track(name: string, source: { stats(): unknown }): Disposable {
    this.#open();
    nonEmptyStringOption('name', name);
    if (this.#sources.has(name)) throw new InvalidOptionError('name', 'a name not tracked yet', name);
    if (typeof source?.stats !== 'function')
      throw new InvalidOptionError('source', 'a MetricsSource', source);
    this.#sources.set(name, source);
    if (this.#timer === undefined) {
      this.#timer = setInterval(() => this.sample(), this.#options.intervalMs);
      this.#timer.unref();
    }
    return {
      [Symbol.dispose]: () => {
        if (this.#sources.get(name) === source) this.#sources.delete(name);
      },
    };
  }

  /** Samples every tracked source now (the timer calls it every `intervalMs`). */
  sample(): void {
    const now = this.#options.clock.now();
    for (const [name, source] of this.#sources) {
      let stats: unknown;
      try {
        stats = source.stats();
      } catch (error) {
        this.#sampleErrors++;
        // Once per source until it answers again: every second would drown the log.
        if (!this.#failingSources.has(name))
          warnThrew('LOADSTONE_WARN_HISTORY_SOURCE_THREW', `stats() of ${name} threw`, error);
        this.#failingSources.add(name);
        continue;
      }
      this.#failingSources.delete(name);
      numericLeaves(stats, (path, value) => {
        if (!this.#store(`${name}.${path}`, value, now)) this.#seriesRefused++;
      });
    }
  }

  /**
   * Records one value of a series (creating it).
   *
   * @param series - the series' name.
   * @param value - a number; `NaN` records a gap (a worker that is down).
   * @param time - when, in the clock's milliseconds.
   * @throws `InvalidOptionError` for an empty name or a value that is not a number;
   *   `CapacityExceededError` (`ERR_LOADSTONE_CAPACITY`) for a new series past `maxSeries`.
   */
  record(series: string, value: number, time: number = this.#options.clock.now()): void {
    this.#open();
    nonEmptyStringOption('series', series);
    if (typeof value !== 'number') throw new InvalidOptionError('value', 'a number (NaN for a gap)', value);
    if (!Number.isFinite(time)) throw new InvalidOptionError('time', 'a finite number of ms', time);
    if (!this.#store(series, value, time)) {
      this.#seriesRefused++;
      throw new CapacityExceededError('MetricsHistory (maxSeries)', this.#options.maxSeries);
    }
  }

  /**
   * Puts an event on the time axis; the oldest mark goes past `maxMarks`.
   *
   * @throws `InvalidOptionError` for an empty kind or a label that is not a string.
   */
  mark(kind: string, label: string, time: number = this.#options.clock.now()): void {
    this.#open();
    nonEmptyStringOption('kind', kind);
    if (typeof label !== 'string') throw new InvalidOptionError('label', 'a string', label);
    this.#marks.push({ t: time, kind, label });
    if (this.#marks.length > this.#options.maxMarks) this.#marks.shift();
  }

  /** The series' names, in creation order. */
  names(): string[] {
    return [...this.#series.keys()];
  }

  /**
   * Min, mean, max, p50 and p99 of a series over its samples of the last `windowMs`.
   *
   * @returns the figures; `count` 0 for a series unknown or empty in the window.
   * @throws `InvalidOptionError` for a `windowMs` that is not a positive number.
   */
  window(series: string, windowMs: number): WindowStats {
    if (typeof windowMs !== 'number' || !(windowMs > 0)) {
      throw new InvalidOptionError('windowMs', 'a positive number of ms', windowMs);
    }
    const values: number[] = [];
    this.#series.get(series)?.forEachAfter(this.#options.clock.now() - windowMs, (_t, v) => values.push(v));
    return windowStats(values);
  }

  /**
   * The history as JSON ({@link HistorySnapshot}, version 1): every sample and mark after
   * `since` (all of them by default), so a page polls with the last `now` it saw.
   */
  snapshot(options?: { readonly since?: number }): HistorySnapshot {
    const since = options?.since ?? Number.NEGATIVE_INFINITY;
    if (typeof since !== 'number' || Number.isNaN(since))
      throw new InvalidOptionError('options.since', 'a number of ms', since);
    const series: Record<string, { t: number[]; v: (number | null)[] }> = {};
    for (const [name, ring] of this.#series) {
      const t: number[] = [];
      const v: (number | null)[] = [];
      ring.forEachAfter(since, (time, value) => {
        t.push(time);
        v.push(Number.isNaN(value) ? null : value);
      });
      if (t.length > 0) series[name] = { t, v };
    }
    const { intervalMs, capacity, clock } = this.#options;
    const marks = this.#marks.filter((mark) => mark.t > since);
    return { version: 1, now: clock.now(), intervalMs, capacity, series, marks };
  }

  /** The history's own figures. */
  stats(): MetricsHistoryStats {
    let samples = 0;
    let bytes = 0;
    for (const ring of this.#series.values()) {
      samples += ring.size;
      bytes += ring.bytes;
    }
    return {
      series: this.#series.size,
      samples,
      bytes,
      trackedSources: this.#sources.size,
      seriesRefusedTotal: this.#seriesRefused,
      sampleErrorsTotal: this.#sampleErrors,
      marks: this.#marks.length,
    };
  }

  /** Stops sampling; the history stays readable. Idempotent. */
  close(_options?: CloseOptions): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#sources.clear();
    return Promise.resolve();
  }

  /** As {@link MetricsHistory.close}: there is no work to abandon. */
  destroy(_reason?: unknown): Promise<void> {
    return this.close();
  }

  /** Calls `close()`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #open(): void {
    if (this.#closed) throw new ClosedError('MetricsHistory');
  }

  /** Appends to a series, creating it unless `maxSeries` are held; `false` when refused. */
  #store(name: string, value: number, time: number): boolean {
    let ring = this.#series.get(name);
    if (ring === undefined) {
      if (this.#series.size >= this.#options.maxSeries) return false;
      ring = new SeriesRing(this.#options.capacity);
      this.#series.set(name, ring);
    }
    ring.push(time, value);
    return true;
  }
}
