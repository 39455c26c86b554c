import type { ConnectionPoolEvents } from './ConnectionPoolOptions.js';

/**
 * Where a pool reports events: the manager that owns it.
 * @internal
 */
export type PoolHost = {
  emit<K extends keyof ConnectionPoolEvents>(event: K, ...args: ConnectionPoolEvents[K]): boolean;
  listenerCount(event: keyof ConnectionPoolEvents): number;
};

/** A pool's events, sent to its host only when someone listens, and never thrown back at the pool. */
export class PoolEvents {
  readonly #host: PoolHost;
  readonly #what: string;

  constructor(host: PoolHost, what: string) {
    this.#host = host;
    this.#what = what;
  }

  /** Whether `event` has a listener. */
  has(event: keyof ConnectionPoolEvents): boolean {
    return this.#host.listenerCount(event) > 0;
  }

  emit<K extends keyof ConnectionPoolEvents>(event: K, ...args: ConnectionPoolEvents[K]): void {
    if (this.#host.listenerCount(event) === 0) return;
    try {
      this.#host.emit(event, ...args);
    } catch (error) {
      // A listener's bug must not break the pool's bookkeeping or fail an unrelated acquire.
      process.emitWarning(`A '${event}' listener of ${this.#what} threw: ${String(error)}`, {
        code: 'LOADSTONE_WARN_POOL_LISTENER_THREW',
        detail: (error as Error)?.stack,
      });
    }
  }
}
