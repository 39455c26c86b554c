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
