import type { Histogram } from 'hdr-histogram-js';
import { build } from 'hdr-histogram-js';
import type { InvalidOptionError } from './errors/InvalidOptionError.js';
import {
  checkOptionKeys,
  integerOption,
  numberOption,
  optionNames,
  optionsObject,
} from './internal/validate.js';

/** Options of {@link LatencyRecorder}. */
export type LatencyRecorderOptions = {
  /**
   * The largest latency told apart, in ms; larger recordings are clamped to it (counted, not
   * rejected). Memory grows with its logarithm. Minimum: 1, maximum: 1_000_000_000.
   * @default 60_000
   */
  readonly highestTrackableMs?: number;
  /**
   * Decimal digits of precision kept at every magnitude: with 3, a percentile is within 0.1 %
   * of the true value (and at most 1 µs off below 1 ms). Memory grows tenfold per digit:
   * about 140 kB at 3 with the default range, 10 MB at 5. Minimum: 1, maximum: 5.
   * @default 3
   */
  readonly significantDigits?: number;
};

const OPTIONS = optionNames<LatencyRecorderOptions>()(['highestTrackableMs', 'significantDigits']);

/** A summary of a {@link LatencyRecorder}: plain numbers in ms, all `0` when it is empty. */
export type LatencySnapshot = {
  /** Number of recordings. */
  readonly count: number;
  /** Smallest recording, exact to the µs. */
  readonly minMs: number;
  /** Arithmetic mean, exact to the µs (not estimated from the histogram). */
  readonly meanMs: number;
  /** Largest recording, exact to the µs (or the clamp limit). */
  readonly maxMs: number;
  /** Median. */
  readonly p50Ms: number;
  /** 90th percentile. */
  readonly p90Ms: number;
  /** 99th percentile. */
  readonly p99Ms: number;
  /** 99.9th percentile. */
  readonly p999Ms: number;
};

const US_PER_MS = 1000;

/**
 * Records durations and answers percentiles in constant memory, over an HDR histogram: each
 * recording is stored as whole microseconds, so precision is 1 µs below 1 ms and
 * `significantDigits` above. The primitives use one per operation in their stats, and the
 * benchmark harness uses it too.
 *
 * @example
 * {@includeCode ./LatencyRecorder.test.ts#latencyRecorder}
 */
export class LatencyRecorder {
  // hdr-histogram-js's JS histograms record in ~185 ns, whether made by build() or `new` (build
  // returns the same class); its WebAssembly one takes ~30 ns (Node 20, 2M random values) but
  // its memory is not garbage-collected (it needs an explicit destroy(), which a stats field
  // never gets) and it must be initialised first. 185 ns is noise next to the ms being timed.
  // Float64 counts (140 kB at the defaults, against 70 kB for Uint32) so that a busy bucket
  // cannot silently wrap at 2^32.
  readonly #histogram: Histogram;
  readonly #highestUs: number;
  #count = 0;
  #sumUs = 0;
  #minUs = Number.POSITIVE_INFINITY;
  #maxUs = 0;

  /**
   * @param options - range and precision.
   * @throws {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION` for a bad option.
   */
  constructor(options?: LatencyRecorderOptions) {
    const opts = optionsObject('options', options);
    checkOptionKeys(opts, OPTIONS, 'LatencyRecorder');
    const highestMs = integerOption('options.highestTrackableMs', opts.highestTrackableMs ?? 60_000, 1, 1e9);
    const digits = integerOption('options.significantDigits', opts.significantDigits ?? 3, 1, 5);
    this.#highestUs = highestMs * US_PER_MS;
    this.#histogram = build({
      useWebAssembly: false,
      bitBucketSize: 64,
      // No `autoResize`: `record` clamps to the highest trackable value, so the counts never grow.
      lowestDiscernibleValue: 1,
      highestTrackableValue: this.#highestUs,
      numberOfSignificantValueDigits: digits as 1 | 2 | 3 | 4 | 5,
    });
  }

  /** Number of recordings since construction or the last `reset()`. */
  get count(): number {
    return this.#count;
  }

  /**
   * Records one duration.
   *
   * @param ms - a finite duration >= 0 in ms; rounded to the µs, clamped to `highestTrackableMs`.
   * @throws {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION` for a negative, `NaN` or
   * infinite duration.
   */
  record(ms: number): void {
    if (typeof ms !== 'number' || !(ms >= 0) || ms === Number.POSITIVE_INFINITY) numberOption('ms', ms, 0);
    const us = Math.min(Math.round(ms * US_PER_MS), this.#highestUs);
    this.#histogram.recordValue(us);
    this.#count++;
    this.#sumUs += us;
    this.#minUs = Math.min(this.#minUs, us);
    this.#maxUs = Math.max(this.#maxUs, us);
  }

  /**
   * The value at or below which `p` percent of recordings fall (the nearest-rank definition),
   * within the histogram's precision and never outside the recorded min and max.
   *
   * @param p - the percentile, from 0 (the minimum) to 100 (the maximum).
   * @returns the value in ms, or `0` when nothing was recorded.
   * @throws {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION` when `p` is outside 0..100.
   */
  percentile(p: number): number {
    numberOption('p', p, 0, 100);
    // Stryker disable next-line ConditionalExpression: without it an empty histogram answers 0 too (its 0 clamped to min Infinity, max 0); the guard says so plainly
    if (this.#count === 0) return 0;
    // hdr answers with the top of the value's bucket (the bottom for p = 0), which can lie
    // outside what was recorded; the exact min and max bound it.
    const us = this.#histogram.getValueAtPercentile(p);
    return Math.min(Math.max(us, this.#minUs), this.#maxUs) / US_PER_MS;
  }

  /**
   * Summarises the recordings.
   *
   * @returns a fresh plain object; all zeros when nothing was recorded.
   */
  snapshot(): LatencySnapshot {
    if (this.#count === 0) {
      return { count: 0, minMs: 0, meanMs: 0, maxMs: 0, p50Ms: 0, p90Ms: 0, p99Ms: 0, p999Ms: 0 };
    }
    return {
      count: this.#count,
      minMs: this.#minUs / US_PER_MS,
      meanMs: this.#sumUs / this.#count / US_PER_MS,
      maxMs: this.#maxUs / US_PER_MS,
      p50Ms: this.percentile(50),
      p90Ms: this.percentile(90),
      p99Ms: this.percentile(99),
      p999Ms: this.percentile(99.9),
    };
  }

  /** Forgets every recording, e.g. at the start of each reporting interval. */
  reset(): void {
    this.#histogram.reset();
    this.#count = 0;
    this.#sumUs = 0;
    this.#minUs = Number.POSITIVE_INFINITY;
    this.#maxUs = 0;
  }
}
