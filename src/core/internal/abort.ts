import { AbortedError } from '../errors/AbortedError.js';

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
 */
export function drainUnlessAborted(
  drained: Promise<void>,
  signal: AbortSignal | undefined,
  destroy: (reason: unknown) => Promise<void>,
  operation: string,
): Promise<void> {
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
