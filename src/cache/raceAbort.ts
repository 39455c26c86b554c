import { abortReason } from '../core/internal/abort.js';

/**
 * `promise`, or a rejection with `signal.reason` once `signal` aborts: stops one caller's wait
 * while the work itself goes on for the others.
 */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortReason(signal, 'TieredCache getOrSet'));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/**
 * The wait of `close({ signal })` on `closing`: resolves with it, or on abort calls `onAbort`
 * (which destroys) and rejects with the signal's reason at once. Unlike {@link raceAbort}, a
 * `closing` that rejects leaves this pending, as the cache's close always has.
 */
export function raceAbortClose(
  closing: Promise<void>,
  signal: AbortSignal,
  onAbort: () => void,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const abort = (): void => {
      onAbort();
      reject(abortReason(signal, 'TieredCache close'));
    };
    signal.addEventListener('abort', abort, { once: true });
    void closing.then(() => {
      signal.removeEventListener('abort', abort);
      resolve();
    });
  });
}
