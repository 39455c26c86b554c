// Callers waiting for a state of the queue (internal): each wait is a promise that the queue
// resolves when the state is reached, or that the caller's signal rejects first.
import { abortReason } from '../core/internal/abort.js';

/** One waiting caller; `limit` is the size it waits to go below (`onSizeLessThan`). */
type Waiter = { readonly resolve: () => void; readonly cleanup: () => void; readonly limit: number };

export class StateWaiters {
  // A Set keeps the callers oldest first and lets an aborted one leave in O(1).
  #waiters = new Set<Waiter>();

  /**
   * Waits until the state is reached: at once if `ready`, otherwise until `resolveAll` (or
   * `resolveBelow` a size under `limit`); rejects with the signal's reason on abort.
   */
  wait(ready: boolean, signal: AbortSignal | undefined, limit = 0): Promise<void> {
    if (signal?.aborted) return Promise.reject(abortReason(signal, 'wait'));
    if (ready) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        this.#waiters.delete(waiter);
        reject(abortReason(signal as AbortSignal, 'wait'));
      };
      const waiter: Waiter = {
        resolve,
        cleanup: () => signal?.removeEventListener('abort', onAbort),
        limit,
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiters.add(waiter);
    });
  }

  /** Resolves every waiter, oldest first. */
  resolveAll(): void {
    const waiters = this.#waiters;
    // Stryker disable next-line ConditionalExpression: speed only (no new Set per settled task); no waiter, nothing to do
    if (waiters.size === 0) return;
    this.#waiters = new Set();
    for (const w of waiters) {
      w.cleanup();
      w.resolve();
    }
  }

  /** Resolves the waiters whose `limit` is above `size`, oldest first. */
  resolveBelow(size: number): void {
    // Stryker disable next-line ConditionalExpression: speed only (called on every add and settle); no waiter, nothing to do
    if (this.#waiters.size === 0) return;
    for (const w of this.#waiters) {
      if (size < w.limit) {
        this.#waiters.delete(w);
        w.cleanup();
        w.resolve();
      }
    }
  }
}
