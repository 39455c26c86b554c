// Callers waiting for a state of the queue (internal): each wait is a promise that the queue
// resolves when the state is reached, or that the caller's signal rejects first.
import { abortReason } from '../core/internal/abort.js';

/** One waiting caller; `limit` is the size it waits to go below (`onSizeLessThan`). */
type Waiter = { readonly resolve: () => void; readonly cleanup: () => void; readonly limit: number };

export class StateWaiters {
  #waiters: Waiter[] = [];

  get length(): number {
    return this.#waiters.length;
  }

  /**
   * Waits until the state is reached: at once if `ready`, otherwise until `resolveAll` (or
   * `resolveBelow` a size under `limit`); rejects with the signal's reason on abort.
   */
  wait(ready: boolean, signal: AbortSignal | undefined, limit = 0): Promise<void> {
    if (signal?.aborted) return Promise.reject(abortReason(signal, 'wait'));
    if (ready) return Promise.resolve();
    const waiters = this.#waiters;
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        const i = waiters.indexOf(waiter);
        if (i >= 0) waiters.splice(i, 1);
        reject(abortReason(signal as AbortSignal, 'wait'));
      };
      const waiter: Waiter = {
        resolve,
        cleanup: () => signal?.removeEventListener('abort', onAbort),
        limit,
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      waiters.push(waiter);
    });
  }

  /** Resolves every waiter, oldest first. */
  resolveAll(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) {
      w.cleanup();
      w.resolve();
    }
  }

  /** Resolves the waiters whose `limit` is above `size`, oldest first. */
  resolveBelow(size: number): void {
    // Compacted in place, oldest first: a waiter's abort handler removes it from this very array.
    const waiters = this.#waiters;
    const ready: Waiter[] = [];
    let kept = 0;
    for (const w of waiters) {
      if (size < w.limit) ready.push(w);
      else waiters[kept++] = w;
    }
    waiters.length = kept;
    for (const w of ready) {
      w.cleanup();
      w.resolve();
    }
  }
}
