// When a closed CircuitBreaker trips (internal): which errors count as failures, and the
// failures counted against the rules, in a row (`consecutiveFailures`) and over the rolling
// window (`failureRatio` once it holds `minimumCalls`).
import type { CircuitBreakerWindowStats } from './CircuitBreakerOptions.js';
import { CircuitBreakerWindow } from './CircuitBreakerWindow.js';
import type { ResolvedCircuitBreakerOptions } from './resolveCircuitBreakerOptions.js';

/** The rule a failure broke, named as the `state:changed` reason. */
export type TripReason = 'consecutive-failures' | 'failure-ratio';

export class CircuitTripPolicy {
  readonly #o: ResolvedCircuitBreakerOptions;
  /** Without the `failureRatio` rule there is no window, and successes read no clock. */
  readonly #window: CircuitBreakerWindow | undefined;
  #consecutive = 0;

  constructor(o: ResolvedCircuitBreakerOptions) {
    this.#o = o;
    this.#window = o.failureRatio === 0 ? undefined : new CircuitBreakerWindow(o.windowMs, o.clock);
  }

  /** Failures since the last success. */
  get consecutive(): number {
    return this.#consecutive;
  }

  /** Whether `error` counts as a failure of the dependency (`isFailure`; one that throws says yes). */
  isFailure(error: unknown): boolean {
    const isFailure = this.#o.isFailure;
    if (isFailure === undefined) return true;
    try {
      return Boolean(isFailure(error));
    } catch {
      return true;
    }
  }

  /** A success in the closed state (the window reads the clock when it needs to). */
  success(): void {
    this.#consecutive = 0;
    this.#window?.recordSuccess();
  }

  /** A success in the closed state at `now`. */
  successAt(now: number): void {
    this.#consecutive = 0;
    this.#window?.record(now, false);
  }

  /** Counts a failure in the closed state; returns the rule it breaks, if any. */
  failure(now: number): TripReason | undefined {
    const o = this.#o;
    this.#consecutive++;
    const w = this.#window;
    w?.record(now, true);
    if (o.consecutiveFailures !== 0 && this.#consecutive >= o.consecutiveFailures)
      return 'consecutive-failures';
    if (w !== undefined) {
      const calls = w.calls(now);
      if (calls >= o.minimumCalls && w.failures(now) / calls >= o.failureRatio) return 'failure-ratio';
    }
    return undefined;
  }

  /** Forgets the failures in a row and the window (the breaker closed or was reset). */
  clear(now: number): void {
    this.#consecutive = 0;
    this.#window?.clear(now);
  }

  /** The window's figures at `now`, or `null` without the `failureRatio` rule. */
  windowStats(now: number): CircuitBreakerWindowStats | null {
    const w = this.#window;
    if (w === undefined) return null;
    const calls = w.calls(now);
    const failures = w.failures(now);
    return { calls, failures, failureRatio: calls === 0 ? 0 : failures / calls };
  }
}
