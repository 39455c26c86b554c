// A CircuitBreaker call on its full path (internal): `fn` against the time limit and the
// caller's signal, with a timer per call (the closed-state fast path uses the deadline queue).
import { TimeoutError } from '../core/errors/TimeoutError.js';
import { abortReason } from '../core/internal/abort.js';

/** What `fn` receives when the call can be neither timed out nor aborted. */
export const NEVER_ABORTED: AbortSignal = new AbortController().signal;

/**
 * Runs `fn` against the timeout (`0`: none) and the caller's signal; reports which of them fired.
 * `what` names the call in the errors.
 */
export function raceCall<T>(
  fn: (signal: AbortSignal) => T | PromiseLike<T>,
  signal: AbortSignal | undefined,
  timeoutMs: number,
  what: string,
  onTimeout: (error: TimeoutError) => void,
  onAbort: (error: Error) => void,
): Promise<T> {
  // Node's AbortController costs microseconds to make: a `fn` that declares no parameter cannot
  // read the signal, so it gets none of its own.
  const controller = fn.length === 0 ? undefined : new AbortController();
  return new Promise<T>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const abort = (): void => {
      const error = abortReason(signal as AbortSignal, what);
      cleanup();
      onAbort(error);
      controller?.abort(error);
      reject(error);
    };
    const cleanup = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', abort);
    };
    if (timeoutMs !== 0) {
      timer = setTimeout(() => {
        const error = new TimeoutError(what, timeoutMs);
        cleanup();
        onTimeout(error);
        controller?.abort(error);
        reject(error);
      }, timeoutMs);
      // An in-flight call keeps the process alive through its own I/O, not through this timer.
      timer.unref();
    }
    signal?.addEventListener('abort', abort); // `cleanup` removes it, whatever ends the call
    let result: T | PromiseLike<T>;
    try {
      result = fn(controller === undefined ? NEVER_ABORTED : controller.signal);
    } catch (error) {
      // Rejects like an asynchronous failure, leaving neither the timer nor the listener behind.
      cleanup();
      reject(error);
      return;
    }
    Promise.resolve(result).then(
      (v) => {
        cleanup();
        resolve(v);
      },
      (e: unknown) => {
        cleanup();
        reject(e);
      },
    );
  });
}
