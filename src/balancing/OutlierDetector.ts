// Internal: passive outlier detection, as Envoy's `outlier_detection`: ejects a backend after
// consecutive failures, for longer at each ejection, and brings it back lazily, on the clock,
// when the balancer next looks (no timer).
import type { Clock } from '../core/index.js';
import type { BackendEntry } from './BackendEntry.js';
import type { BackendRegistry } from './BackendRegistry.js';
import type { ResolvedOutlierDetection } from './resolveOptions.js';

/** @internal What the detector needs of the backends. */
export type OutlierHost<T> = Pick<BackendRegistry<T>, 'size' | 'get' | 'values' | 'transition'>;

/** @internal */
export class OutlierDetector<T> {
  readonly #options: ResolvedOutlierDetection | undefined;
  readonly #clock: Clock;
  readonly #backends: OutlierHost<T>;
  #ejected = 0;
  #nextEjectionEnd = Number.POSITIVE_INFINITY;

  /** @param options - `undefined` when outlier detection is off: nothing is then ejected. */
  constructor(options: ResolvedOutlierDetection | undefined, clock: Clock, backends: OutlierHost<T>) {
    this.#options = options;
    this.#clock = clock;
    this.#backends = backends;
  }

  /** After a failure was counted: ejects the backend if its failures in a row reached the limit. */
  maybeEject(entry: BackendEntry<T>): void {
    const od = this.#options;
    if (od === undefined || entry.consecutiveFailures < od.consecutiveFailures) return;
    // Not a removed backend, even one whose id was added again since (its late failures).
    if (entry.ejectedUntil !== undefined || this.#backends.get(entry.backend.id) !== entry) return;
    const maxEjected = Math.floor((od.maxEjectionPercent / 100) * this.#backends.size);
    if (this.#ejected + 1 > maxEjected) return;
    const durationMs = Math.min(od.baseEjectionMs * (entry.ejections + 1), od.maxEjectionMs);
    this.#backends.transition(
      entry,
      'outlier-detection',
      () => {
        entry.ejections++;
        entry.ejectedUntil = this.#clock.now() + durationMs;
        entry.consecutiveFailures = 0;
        this.#ejected++;
        this.#nextEjectionEnd = Math.min(this.#nextEjectionEnd, entry.ejectedUntil);
      },
      { durationMs },
    );
  }

  /** Brings back the backends whose ejection is over (checked lazily, on the clock). */
  expire(): void {
    if (this.#ejected === 0) return;
    const now = this.#clock.now();
    if (now < this.#nextEjectionEnd) return;
    this.#nextEjectionEnd = Number.POSITIVE_INFINITY;
    for (const entry of this.#backends.values()) {
      const until = entry.ejectedUntil;
      if (until === undefined) continue;
      if (until <= now) {
        this.#backends.transition(entry, 'outlier-detection', () => this.end(entry));
      } else {
        this.#nextEjectionEnd = Math.min(this.#nextEjectionEnd, until);
      }
    }
  }

  /** Ends a backend's ejection now, if it is ejected (`markUp`, or its time is over). */
  end(entry: BackendEntry<T>): void {
    if (entry.ejectedUntil === undefined) return;
    entry.ejectedUntil = undefined;
    entry.consecutiveFailures = 0;
    this.#ejected--;
  }

  /** A backend was removed: it no longer counts among the ejected. */
  forget(entry: BackendEntry<T>): void {
    if (entry.ejectedUntil !== undefined) this.#ejected--;
  }
}
