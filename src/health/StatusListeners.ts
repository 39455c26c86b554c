import { functionOption } from '../core/internal/validate.js';
import type { LoadChange } from '../core/LoadSignal.js';
import { warn } from './warn.js';

type Listener = (change: LoadChange) => void;

/** The `subscribe` listeners of a HealthMonitor, called on each status change. */
export class StatusListeners {
  readonly #listeners = new Set<{ readonly listener: Listener }>();

  /** Adds `listener`; the handle's `[Symbol.dispose]()` removes it (idempotent). */
  subscribe(listener: (change: LoadChange) => void): Disposable {
    const entry = { listener: functionOption<Listener>('listener', listener) };
    this.#listeners.add(entry);
    return {
      [Symbol.dispose]: () => {
        this.#listeners.delete(entry);
      },
    };
  }

  /** Calls every listener with `change`; one that throws is reported and the others still run. */
  notify(change: LoadChange): void {
    for (const entry of [...this.#listeners]) {
      if (!this.#listeners.has(entry)) continue; // unsubscribed by an earlier listener
      try {
        entry.listener(change);
      } catch (error) {
        warn('LOADSTONE_WARN_HEALTH_LISTENER_THREW', 'A HealthMonitor status listener threw', error);
      }
    }
  }
}
