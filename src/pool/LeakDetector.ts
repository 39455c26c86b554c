import type { PoolEvents } from './PoolEvents.js';
import { BORROWED, type Slot } from './Slot.js';

/**
 * Finds resources borrowed for longer than `leakDetectionMs` (once each per borrow) and reports
 * them: a `lease:leaked` event, or with no listener a `LOADSTONE_WARN_POOL_LEAK` process warning.
 */
export class LeakDetector<T> {
  /** Borrows reported so far. */
  leaks = 0;
  readonly #limitMs: number;
  readonly #poolName: string;
  readonly #what: string;
  readonly #events: PoolEvents;

  constructor(limitMs: number, poolName: string, what: string, events: PoolEvents) {
    this.#limitMs = limitMs;
    this.#poolName = poolName;
    this.#what = what;
    this.#events = events;
  }

  /** Reports every borrow among `slots` held `leakDetectionMs` or longer at clock time `now`. */
  detect(slots: Iterable<Slot<T>>, now: number): void {
    const limit = this.#limitMs;
    for (const slot of slots) {
      if (slot.state !== BORROWED || slot.leakReported || slot.acquiredAt < 0) continue;
      const heldMs = now - slot.acquiredAt;
      if (heldMs < limit) continue;
      slot.leakReported = true;
      this.leaks++;
      const stack = slot.stack ?? '';
      if (this.#events.has('lease:leaked')) {
        this.#events.emit('lease:leaked', { pool: this.#poolName, heldMs, leakDetectionMs: limit, stack });
      } else {
        process.emitWarning(
          `A resource of ${this.#what} has been borrowed for ${Math.round(heldMs)} ms ` +
            `(leakDetectionMs ${limit}); acquired at:\n${stack}`,
          { code: 'LOADSTONE_WARN_POOL_LEAK' },
        );
      }
    }
  }
}

/** The acquirer's stack, without this frame. */
export function captureStack(): string {
  const holder: { stack?: string } = {};
  Error.captureStackTrace(holder, captureStack);
  return (holder.stack ?? '').replace(/^Error\n/, '');
}
