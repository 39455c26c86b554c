import { InvalidOptionError } from '../core/errors/InvalidOptionError.js';
import {
  checkOptionKeys,
  functionOption,
  integerOption,
  MAX_TIMER_MS,
  numberOption,
  optionNames,
  optionsObject,
} from '../core/internal/validate.js';

/** Autoscaling between `min` and `max` workers from the workers' event-loop utilisation. */
export type AutoscaleOptions = {
  /** Fewest workers. Minimum: 1. */
  readonly min: number;
  /** Most workers. Minimum: `min`. */
  readonly max: number;
  /**
   * Mean event-loop utilisation (0–1) over the ready workers above which one worker is added.
   * @default 0.75
   */
  readonly scaleUpUtilization?: number;
  /**
   * Mean event-loop utilisation (0–1) below which one worker is retired. Must be below `scaleUpUtilization`.
   * @default 0.25
   */
  readonly scaleDownUtilization?: number;
  /**
   * Milliseconds between scaling decisions (utilisation is averaged over this window).
   * @default 10000
   */
  readonly intervalMs?: number;
  /**
   * The worker count wanted now, asked every `intervalMs`: scale on demand instead of on CPU,
   * for example on a job queue's depth (docs/jobs.md has the recipe). When given, it replaces
   * the utilisation rule: the supervisor adds or retires one worker per interval toward it,
   * within `[min, max]`. A target that throws or is not a finite number is skipped for that
   * interval, with a `LOADSTONE_WARN_AUTOSCALE_TARGET` process warning.
   * @default undefined (scale on event-loop utilisation)
   */
  readonly target?: () => number | PromiseLike<number>;
};

/** {@link AutoscaleOptions} with their defaults. @internal */
export type ResolvedAutoscaleOptions = Required<Omit<AutoscaleOptions, 'target'>> &
  Pick<AutoscaleOptions, 'target'>;

const OPTIONS = optionNames<AutoscaleOptions>()([
  'min',
  'max',
  'target',
  'scaleUpUtilization',
  'scaleDownUtilization',
  'intervalMs',
]);

/** @internal */
export function autoscaleOption(value: AutoscaleOptions | undefined): ResolvedAutoscaleOptions | undefined {
  if (value === undefined) return undefined;
  const o = optionsObject<AutoscaleOptions>('options.autoscale', value) as Partial<AutoscaleOptions>;
  checkOptionKeys(o, OPTIONS, 'autoscale', {}, 'options.autoscale');
  const min = integerOption('options.autoscale.min', o.min, 1);
  const max = integerOption('options.autoscale.max', o.max, min);
  const scaleUpUtilization = numberOption(
    'options.autoscale.scaleUpUtilization',
    o.scaleUpUtilization ?? 0.75,
    0,
    1,
  );
  const scaleDownUtilization = numberOption(
    'options.autoscale.scaleDownUtilization',
    o.scaleDownUtilization ?? 0.25,
    0,
    1,
  );
  if (scaleDownUtilization >= scaleUpUtilization) {
    throw new InvalidOptionError(
      'options.autoscale.scaleDownUtilization',
      `a number below scaleUpUtilization (${scaleUpUtilization})`,
      scaleDownUtilization,
    );
  }
  const intervalMs = integerOption('options.autoscale.intervalMs', o.intervalMs ?? 10_000, 1, MAX_TIMER_MS);
  const target =
    o.target === undefined ? undefined : functionOption<() => number>('options.autoscale.target', o.target);
  return Object.freeze({ min, max, scaleUpUtilization, scaleDownUtilization, intervalMs, target });
}
