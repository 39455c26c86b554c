import { functionOption } from './validate.js';
import { warnThrew } from './warnThrew.js';

/**
 * The listeners of a `subscribe(listener): Disposable` API (LoadSignal and its implementations).
 * `notify` calls them in subscription order; one that throws is reported as a process warning and
 * the others still run, and one unsubscribed by an earlier listener is skipped.
 */
export class ListenerSet<T> {
  readonly #entries = new Set<{ readonly listener: (value: T) => void }>();
  readonly #warnCode: string;
  readonly #what: string;

  /** @param warnCode, what - the warning a throwing listener raises (see {@link warnThrew}). */
  constructor(warnCode: string, what: string) {
    this.#warnCode = warnCode;
    this.#what = what;
  }

  /**
   * Adds `listener`; the handle's `[Symbol.dispose]()` removes it (idempotent).
   * @throws InvalidOptionError when `listener` is not a function.
   */
  subscribe(listener: (value: T) => void): Disposable {
    const entry = { listener: functionOption<(value: T) => void>('listener', listener) };
    this.#entries.add(entry);
    return {
      [Symbol.dispose]: () => {
        this.#entries.delete(entry);
      },
    };
  }

  /** Calls every listener with `value`. */
  notify(value: T): void {
    // A copy, so a listener that subscribes another is not called with this value.
    for (const entry of [...this.#entries]) {
      if (!this.#entries.has(entry)) continue; // unsubscribed by an earlier listener
      try {
        entry.listener(value);
      } catch (error) {
        warnThrew(this.#warnCode, this.#what, error);
      }
    }
  }
}
