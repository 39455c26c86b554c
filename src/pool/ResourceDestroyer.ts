import type { PoolFactory, ResourceDestroyReason } from './ConnectionPoolOptions.js';
import type { PoolEvents } from './PoolEvents.js';
import { DEAD, type Slot } from './Slot.js';

/**
 * Takes resources out of the pool and through the factory's `destroy`, keeping the destroys
 * still running so that closing can wait for them.
 */
export class ResourceDestroyer<T> {
  /** Resources taken out so far. */
  destroyed = 0;
  readonly #slots: Map<T, Slot<T>>;
  readonly #factory: PoolFactory<T>;
  readonly #poolName: string;
  readonly #events: PoolEvents;
  readonly #pending = new Set<Promise<void>>();

  /** @param slots - the pool's resources, which this removes from. */
  constructor(slots: Map<T, Slot<T>>, factory: PoolFactory<T>, poolName: string, events: PoolEvents) {
    this.#slots = slots;
    this.#factory = factory;
    this.#poolName = poolName;
    this.#events = events;
  }

  /** Removes `slot` from the pool and destroys its resource; `resource:destroyed` follows. */
  destroy(slot: Slot<T>, reason: ResourceDestroyReason): void {
    slot.state = DEAD;
    this.#slots.delete(slot.resource);
    this.destroyed++;
    const destroy = this.#factory.destroy;
    if (destroy === undefined) {
      this.#events.emit('resource:destroyed', { pool: this.#poolName, reason });
      return;
    }
    let done: Promise<void>;
    try {
      done = Promise.resolve(destroy(slot.resource));
    } catch (error) {
      done = Promise.reject(error);
    }
    const tracked = done.then(
      () => this.#events.emit('resource:destroyed', { pool: this.#poolName, reason }),
      (error: unknown) => this.#events.emit('resource:destroyed', { pool: this.#poolName, reason, error }),
    );
    const entry = tracked.then(() => {
      this.#pending.delete(entry);
    });
    this.#pending.add(entry);
  }

  /** Resolves once no destroy is running, including those started meanwhile. */
  async settle(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all([...this.#pending]);
  }
}
