import type { Clock } from '../core/index.js';
import { checkOptionKeys, numberOption, optionNames, optionsObject } from '../core/internal/validate.js';

/** Options of {@link FakeClock}. */
export type FakeClockOptions = {
  /**
   * The time the clock starts at, in ms.
   * @default 0
   */
  readonly startMs?: number;
};

const OPTIONS = optionNames<FakeClockOptions>()(['startMs']);

/**
 * A {@link Clock} for tests: time stands still until you move it with `advance()` or `set()`,
 * so time-based behaviour is tested without sleeping. Like a real `Clock`, it never goes
 * backwards.
 *
 * It does not fire timers; for code that also schedules with `setTimeout`, pair it with
 * `vi.useFakeTimers()` and advance both.
 *
 * @example
 * {@includeCode ./FakeClock.test.ts#fakeClock}
 */
export class FakeClock implements Clock {
  #nowMs: number;

  /**
   * @param options - the start time.
   * @throws `InvalidOptionError` (`ERR_LOADSTONE_INVALID_OPTION`) when `startMs` is not a
   * finite number.
   */
  constructor(options?: FakeClockOptions) {
    const opts = optionsObject('options', options);
    checkOptionKeys(opts, OPTIONS, 'FakeClock');
    this.#nowMs = numberOption('options.startMs', opts.startMs ?? 0);
  }

  /**
   * The current fake time.
   *
   * @returns the time in ms.
   */
  now(): number {
    return this.#nowMs;
  }

  /**
   * Moves time forward.
   *
   * @param ms - how far, a finite number >= 0.
   * @returns the new time in ms.
   * @throws `InvalidOptionError` (`ERR_LOADSTONE_INVALID_OPTION`) for a negative or
   * non-finite step.
   */
  advance(ms: number): number {
    this.#nowMs += numberOption('ms', ms, 0);
    return this.#nowMs;
  }

  /**
   * Jumps to a time, which must not be earlier than now.
   *
   * @param ms - the new time, a finite number >= `now()`.
   * @returns the new time in ms.
   * @throws `InvalidOptionError` (`ERR_LOADSTONE_INVALID_OPTION`) for a time in the past or
   * a non-finite one.
   */
  set(ms: number): number {
    this.#nowMs = numberOption('ms', ms, this.#nowMs);
    return this.#nowMs;
  }
}
