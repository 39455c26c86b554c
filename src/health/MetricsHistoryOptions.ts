import type { Clock } from '../core/Clock.js';
import { clockOption } from '../core/internal/clockOption.js';
import {
  checkOptionKeys,
  integerOption,
  optionNames,
  optionsObject,
  timerMsOption,
} from '../core/internal/validate.js';

/** Options of {@link MetricsHistory}; every one may be left out. */
export type MetricsHistoryOptions = {
  /**
   * How often tracked sources are sampled, in ms (from 10 to 2^31 − 1).
   * @default 1_000
   */
  readonly intervalMs?: number;
  /**
   * Samples kept per series: the newest ones, in a ring allocated once (16 bytes a sample).
   * With the defaults, 30 minutes at one sample a second. 2 to 1,000,000.
   * @default 1_800
   */
  readonly capacity?: number;
  /**
   * Most series held. A series past it is refused (`record` throws `CapacityExceededError`;
   * sampling counts it in `seriesRefused`), so memory stays within `maxSeries × capacity × 16`
   * bytes. 1 to 100,000.
   * @default 1_000
   */
  readonly maxSeries?: number;
  /**
   * Marks kept (restarts, reloads…): the newest ones. 1 to 100,000.
   * @default 500
   */
  readonly maxMarks?: number;
  /**
   * Where sample times come from: wall-clock milliseconds, so a page can label its time axis.
   * @default Date.now
   */
  readonly clock?: Clock;
};

/** The options, checked, with their defaults. */
export type ResolvedMetricsHistoryOptions = Required<MetricsHistoryOptions>;

const OPTIONS = optionNames<MetricsHistoryOptions>()([
  'intervalMs',
  'capacity',
  'maxSeries',
  'maxMarks',
  'clock',
]);
const WALL_CLOCK: Clock = Object.freeze({ now: () => Date.now() });

/** Checks the options; every fault is an `InvalidOptionError` naming the option. */
export function resolveMetricsHistoryOptions(
  options: MetricsHistoryOptions | undefined,
): ResolvedMetricsHistoryOptions {
  const opts = optionsObject('options', options);
  checkOptionKeys(opts, OPTIONS, 'MetricsHistory');
  return {
    intervalMs: timerMsOption('options.intervalMs', opts.intervalMs ?? 1_000, 10),
    capacity: integerOption('options.capacity', opts.capacity ?? 1_800, 2, 1_000_000),
    maxSeries: integerOption('options.maxSeries', opts.maxSeries ?? 1_000, 1, 100_000),
    maxMarks: integerOption('options.maxMarks', opts.maxMarks ?? 500, 1, 100_000),
    clock: clockOption(opts.clock, WALL_CLOCK),
  };
}
