import { isCloseable } from '../core/Closeable.js';
import type { GuardedTier } from './GuardedTier.js';
import type { InvalidationRelay } from './InvalidationRelay.js';
import type { SingleFlight } from './SingleFlight.js';

/** What the shutdown waits for: the running loads. */
export type RunningLoads = Pick<SingleFlight<unknown>, 'running'>;

/**
 * The end of a TieredCache: `close()` waits (at most `closeTimeoutMs`) for the running loads,
 * then releases; release unsubscribes from the bus and closes the tiers that are `Closeable`.
 */
export class CacheShutdown {
  readonly #flight: RunningLoads;
  readonly #relay: InvalidationRelay;
  readonly #tiers: readonly GuardedTier[];
  readonly #closeTimeoutMs: number;
  readonly #onRelease: () => void;
  #closing: Promise<void> | undefined;

  /**
   * @param flight - the loads to wait for.
   * @param relay - unsubscribed on release.
   * @param tiers - closed on release when `Closeable` and not closed yet.
   * @param closeTimeoutMs - how long `close()` waits for the loads.
   * @param onRelease - called on release once unsubscribed (the cache stops its clock timer).
   */
  constructor(
    flight: RunningLoads,
    relay: InvalidationRelay,
    tiers: readonly GuardedTier[],
    closeTimeoutMs: number,
    onRelease: () => void,
  ) {
    this.#flight = flight;
    this.#relay = relay;
    this.#tiers = tiers;
    this.#closeTimeoutMs = closeTimeoutMs;
    this.#onRelease = onRelease;
  }

  /** The drain then release, started by the first call. */
  close(): Promise<void> {
    this.#closing ??= this.#drain();
    return this.#closing;
  }

  /** Unsubscribes and closes the Closeable tiers, at once. */
  async release(): Promise<void> {
    this.#relay.dispose();
    this.#onRelease();
    await Promise.all(
      this.#tiers.map((slot) =>
        isCloseable(slot.tier) && !slot.tier.closed ? slot.tier.close() : undefined,
      ),
    );
  }

  async #drain(): Promise<void> {
    const running = this.#flight.running();
    if (running.length > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled(running),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, this.#closeTimeoutMs);
          timer.unref();
        }),
      ]);
      clearTimeout(timer);
    }
    await this.release();
  }
}
