// Internal: counts requests from `acquire` to `release`, per backend and in total; records
// each one's latency and outcome (for stats, outlier detection and the strategy's `report`);
// and tells `close` when the last one has ended.
import type { Clock, Picker } from '../core/index.js';
import { oneOfOption } from '../core/internal/validate.js';
import type { CircuitPermit } from '../resilience/index.js';
import type { BackendCandidate } from './Backend.js';
import type { BackendEntry } from './BackendEntry.js';
import type { BackendLease, LeaseResult } from './BackendLease.js';
import type { FailureAccrual } from './FailureAccrual.js';
import type { OutlierDetector } from './OutlierDetector.js';

const LEASE_RESULTS: readonly LeaseResult[] = ['success', 'failure', 'cancelled'];

/** @internal */
export class LeaseTracker<T> {
  readonly #clock: Clock;
  readonly #strategy: Picker<BackendCandidate<T>>;
  readonly #outliers: Pick<OutlierDetector<T>, 'maybeEject'>;
  readonly #accrual: FailureAccrual<T> | undefined;
  #inFlight = 0;
  #requests = 0;
  #failures = 0;
  #drained: Promise<void> | undefined;
  #resolveDrained: (() => void) | undefined;

  constructor(
    clock: Clock,
    strategy: Picker<BackendCandidate<T>>,
    outliers: Pick<OutlierDetector<T>, 'maybeEject'>,
    accrual?: FailureAccrual<T>,
  ) {
    this.#clock = clock;
    this.#strategy = strategy;
    this.#outliers = outliers;
    this.#accrual = accrual;
  }

  /** Requests started and not finished. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Requests started in total (removed backends included). */
  get requests(): number {
    return this.#requests;
  }

  /** Requests that failed in total (removed backends included). */
  get failures(): number {
    return this.#failures;
  }

  /**
   * Counts a request on a chosen backend until the lease is released.
   * @param permit - its breaker's admission, under failure accrual.
   */
  lease(entry: BackendEntry<T>, permit?: CircuitPermit): BackendLease<T> {
    entry.inFlight++;
    entry.requests++;
    this.#inFlight++;
    this.#requests++;
    const startedAt = this.#clock.now();
    let released = false;
    return {
      backend: entry.backend,
      release: (result: LeaseResult = 'success') => {
        oneOfOption('result', result, LEASE_RESULTS);
        if (released) return;
        released = true;
        this.#finish(entry, result, this.#clock.now() - startedAt, permit);
      },
    };
  }

  /** A promise that resolves when no request is in flight; `undefined` when none is now. */
  whenDrained(): Promise<void> | undefined {
    if (this.#inFlight > 0 && this.#drained === undefined) {
      this.#drained = new Promise((resolve) => {
        this.#resolveDrained = resolve;
      });
    }
    return this.#drained;
  }

  /** Resolves the `whenDrained` promise now, requests still in flight or not (for `destroy`). */
  abandonDrain(): void {
    this.#resolveDrained?.();
  }

  #finish(entry: BackendEntry<T>, result: LeaseResult, latencyMs: number, permit?: CircuitPermit): void {
    entry.inFlight--;
    this.#inFlight--;
    const latency = Math.max(latencyMs, 0);
    const accrual = this.#accrual;
    if (result === 'failure' && accrual !== undefined) {
      // Failure accrual charges a failure its penalty: a backend failing fast must not look fastest.
      entry.record(latency, Math.max(latency, accrual.failurePenaltyMs));
    } else if (result !== 'cancelled') entry.record(latency);
    if (permit !== undefined) accrual?.settle(entry, permit, result);
    if (result === 'failure') {
      entry.failures++;
      this.#failures++;
      entry.consecutiveFailures++;
      this.#outliers.maybeEject(entry);
    } else if (result === 'success') {
      entry.consecutiveFailures = 0;
    }
    this.#strategy.report?.(entry.candidate, { result, latencyMs: latency });
    if (this.#inFlight === 0 && this.#resolveDrained !== undefined) {
      this.#resolveDrained();
      this.#resolveDrained = undefined;
      this.#drained = undefined;
    }
  }
}
