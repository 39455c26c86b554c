// The time a TieredCache reads on its hit path (internal).
import type { Clock } from '../core/Clock.js';

/**
 * The injected clock as it is, or, for the wall clock, `Date.now()` cached for 1 ms: a read per
 * hit cost more than the LRU lookup, and a 1 ms cache (lru-cache's `ttlResolution`) keeps expiry
 * exact to the millisecond.
 */
export class CacheClock {
  readonly #clock: Clock;
  readonly #coarse: boolean;
  #cached = 0;
  #timer: NodeJS.Timeout | undefined;

  /** @param coarse - whether `clock` is the wall clock, whose reading may be cached. */
  constructor(clock: Clock, coarse: boolean) {
    this.#clock = clock;
    this.#coarse = coarse;
  }

  now(): number {
    if (!this.#coarse) return this.#clock.now();
    if (this.#timer === undefined) {
      this.#cached = Date.now();
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
      }, 1);
      this.#timer.unref();
    }
    return this.#cached;
  }

  /** Drops the pending 1 ms timer (the cache is closing). */
  stop(): void {
    clearTimeout(this.#timer);
  }
}
