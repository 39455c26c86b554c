import type { Clock } from '../core/Clock.js';
import type { LeakDetector } from './LeakDetector.js';
import { OPEN } from './PoolState.js';
import type { ResourceDestroyer } from './ResourceDestroyer.js';
import type { ResourceValidator } from './ResourceValidator.js';
import type { ResolvedConnectionPoolOptions } from './resolveOptions.js';
import type { Slot } from './Slot.js';

/** What the sweep needs of the pool: its resources and the idle stack it rebuilds. */
export type ReaperHost<T> = {
  readonly state: number;
  readonly min: number;
  coarseNow: number;
  /** Idle resources, most recently released last. */
  idle: Slot<T>[];
  readonly slots: ReadonlyMap<T, Slot<T>>;
  /** Resources made and being made. */
  total(): number;
  /** Makes resources up to `min`. */
  fill(): void;
};

/**
 * The periodic sweep, every `maintenanceIntervalMs`: evicts idle resources past `idleTimeoutMs`
 * (down to `min`) or `maxLifetimeMs`, revalidates those due for `idleValidationIntervalMs`,
 * checks for leaks, and refills to `min`.
 */
export class IdleReaper<T> {
  readonly #host: ReaperHost<T>;
  readonly #options: ResolvedConnectionPoolOptions;
  readonly #clock: Clock;
  readonly #validator: ResourceValidator<T>;
  readonly #leaks: LeakDetector<T>;
  readonly #destroyer: ResourceDestroyer<T>;
  readonly #timer: NodeJS.Timeout;

  /** Starts the sweep's timer (unref'd). */
  constructor(
    host: ReaperHost<T>,
    options: ResolvedConnectionPoolOptions,
    validator: ResourceValidator<T>,
    leaks: LeakDetector<T>,
    destroyer: ResourceDestroyer<T>,
  ) {
    this.#host = host;
    this.#options = options;
    this.#clock = options.clock;
    this.#validator = validator;
    this.#leaks = leaks;
    this.#destroyer = destroyer;
    this.#timer = setInterval(this.#onMaintenance, options.maintenanceIntervalMs);
    this.#timer.unref();
  }

  /** Stops the sweep for good. */
  stop(): void {
    clearInterval(this.#timer);
  }

  readonly #onMaintenance = (): void => {
    const host = this.#host;
    if (host.state !== OPEN) return;
    const now = this.#clock.now();
    host.coarseNow = now;
    const o = this.#options;
    // Idle stamps are coarse (up to one interval early), so eviction waits one interval more:
    // never early, at most two intervals late.
    const idleLimit =
      o.idleTimeoutMs === 0 ? Number.POSITIVE_INFINITY : o.idleTimeoutMs + o.maintenanceIntervalMs;
    let evictable = host.total() - host.min;
    const keep: Slot<T>[] = [];
    const toValidate: Slot<T>[] = [];
    // Oldest releases first, so the least recently used are evicted.
    for (const slot of host.idle) {
      if (o.maxLifetimeMs !== 0 && now - slot.createdAt >= o.maxLifetimeMs) {
        this.#destroyer.destroy(slot, 'lifetime');
        evictable--;
      } else if (evictable > 0 && now - slot.idleSince >= idleLimit) {
        this.#destroyer.destroy(slot, 'idle');
        evictable--;
      } else if (
        o.idleValidationIntervalMs !== 0 &&
        this.#validator.canValidate() &&
        now - slot.lastValidatedAt >= o.idleValidationIntervalMs
      ) {
        toValidate.push(slot);
      } else {
        keep.push(slot);
      }
    }
    host.idle = keep;
    for (const slot of toValidate) this.#validator.validateIdle(slot);
    if (o.leakDetectionMs !== 0) this.#leaks.detect(host.slots.values(), now);
    host.fill();
  };
}
