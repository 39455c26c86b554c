import { ClosedError } from '../core/errors/ClosedError.js';
import { warnThrew } from '../core/internal/warnThrew.js';
import type { HealthSnapshot } from './HealthMonitorOptions.js';

/**
 * The HealthMonitor's cadence: runs `tick` every `intervalMs` on an unref'd timer, and on demand
 * (`refresh`). A tick in flight (one waiting for checks) is shared: a refresh joins it, and a timer
 * firing meanwhile counts it as its own interval's sample. Starts at construction.
 */
export class SamplingLoop {
  readonly #intervalMs: number;
  readonly #tick: () => HealthSnapshot | Promise<HealthSnapshot>;
  #timer: NodeJS.Timeout | undefined;
  /** The tick in flight while the checks run, so that `refresh()` joins it. */
  #pending: Promise<HealthSnapshot> | undefined;
  #stopped = false;

  constructor(intervalMs: number, tick: () => HealthSnapshot | Promise<HealthSnapshot>) {
    this.#intervalMs = intervalMs;
    this.#tick = tick;
    this.#schedule();
  }

  /** The tick in flight, if one is waiting for its checks. */
  get pending(): Promise<HealthSnapshot> | undefined {
    return this.#pending;
  }

  /** Ticks a microtask from now, or joins the tick in flight. */
  refresh(): Promise<HealthSnapshot> {
    if (this.#pending !== undefined) return this.#pending;
    // A microtask away, so that a status listener calling refresh() never re-enters a tick.
    const pending = Promise.resolve().then(() => {
      if (this.#stopped) throw new ClosedError('HealthMonitor');
      return this.#tick();
    });
    this.#track(pending);
    return pending;
  }

  /** Clears the timer; no tick starts from now on. A tick in flight still settles. */
  stop(): void {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(this.#onTimer, this.#intervalMs);
    // A monitor watches a process; it must never be the reason that process stays up.
    this.#timer.unref();
  }

  readonly #onTimer = (): void => {
    this.#timer = undefined;
    if (this.#stopped) return;
    const reschedule = (): void => this.#schedule();
    const failed = (error: unknown): void => {
      warnThrew('LOADSTONE_WARN_HEALTH_SAMPLER_THREW', 'The HealthMonitor sampler threw', error);
      this.#schedule();
    };
    if (this.#pending !== undefined) {
      // A refresh() is sampling right now: it counts as this interval's sample.
      this.#pending.then(reschedule, reschedule);
      return;
    }
    let result: HealthSnapshot | Promise<HealthSnapshot>;
    try {
      result = this.#tick();
    } catch (error) {
      failed(error);
      return;
    }
    if (result instanceof Promise) {
      this.#track(result);
      result.then(reschedule, failed);
    } else this.#schedule();
  };

  /** Remembers a tick in flight until it settles, so that others join it. */
  #track(pending: Promise<HealthSnapshot>): void {
    this.#pending = pending;
    const clear = (): void => {
      if (this.#pending === pending) this.#pending = undefined;
    };
    pending.then(clear, clear);
  }
}
