import { AbortedError } from '../errors/AbortedError.js';
import { TimeoutError } from '../errors/TimeoutError.js';

/**
 * The error a caller's abort rejects with: the signal's own `reason` when it is an `Error`
 * (callers match on what they aborted with), otherwise an {@link AbortedError} carrying it.
 */
export function abortReason(signal: AbortSignal, operation: string): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new AbortedError(operation, { cause: reason });
}

/**
 * The `close({ signal })` contract every Closeable keeps: wait for `drained`; if `signal`
 * aborts first (or already has), abandon the drain with `destroy(signal.reason)` and reject with
 * {@link abortReason} once `destroy` has settled, so the caller sees the rejection only after
 * everything is released. An abort always wins over a drain that `destroy` itself completes.
 *
 * With `timeoutMs` > 0 (the primitive's `closeTimeoutMs`), a drain still running after that long
 * is ended with `destroy(TimeoutError)` and close resolves: the close was asked for and is done,
 * and the work it cut short rejects to its own callers. A hung task or a leaked connection must
 * not hang a shutdown (generic-pool's `drain()` does).
 */
export function drainUnlessAborted(
  drained: Promise<void>,
  signal: AbortSignal | undefined,
  destroy: (reason: unknown) => Promise<void>,
  operation: string,
  timeoutMs = 0,
): Promise<void> {
  if (timeoutMs > 0) drained = drainWithin(drained, timeoutMs, destroy, operation);
  if (signal === undefined) return drained;
  const abandon = (): Promise<never> => {
    const reason = abortReason(signal, operation);
    const fail = (): never => {
      throw reason;
    };
    return destroy(signal.reason).then(fail, fail);
  };
  if (signal.aborted) return abandon();
  return new Promise<void>((resolve, reject) => {
    let aborted = false;
    const onAbort = (): void => {
      aborted = true;
      abandon().catch(reject);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    drained.then(
      () => {
        signal.removeEventListener('abort', onAbort);
        if (!aborted) resolve();
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        if (!aborted) reject(error);
      },
    );
  });
}

/** `drained`, or `destroy(TimeoutError)` once `timeoutMs` passed without it (then resolves). */
export function drainWithin(
  drained: Promise<void>,
  timeoutMs: number,
  destroy: (reason: unknown) => Promise<void>,
  operation: string,
): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      // Resolved with nothing either way: `resolve` given as a handler would pass destroy's error on as the value.
      const done = (): void => resolve();
      destroy(new TimeoutError(operation, timeoutMs)).then(done, done);
    }, timeoutMs);
    // Only the work being drained may keep the process alive, not the deadline on it.
    timer.unref();
  });
  return Promise.race([drained, expired]).finally(() => clearTimeout(timer));
}
