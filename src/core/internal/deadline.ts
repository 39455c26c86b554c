// Every wait that crosses a process or network boundary (a Redis command, a connection's quit,
// a pool's create or validate, a worker's drain) goes through one of these two, so no such wait
// outlives its documented limit: a hung Redis (SIGSTOP, a black-holed route) answers nothing,
// ever, and neither the TCP stack nor ioredis bounds that wait by itself.
import { TimeoutError } from '../errors/TimeoutError.js';

const ignore = (): void => {};

/**
 * `work`'s outcome, or a rejection with a {@link TimeoutError} naming `operation` once `ms`
 * passed first. `ms` ≤ 0 or not finite: no deadline. A late rejection of `work` is ignored (the
 * caller has already been answered). The timer never keeps the process alive: the wait belongs
 * to someone who does.
 */
export function withDeadline<T>(work: PromiseLike<T>, ms: number, operation: string): Promise<T> {
  if (!(ms > 0 && Number.isFinite(ms))) return Promise.resolve(work);
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      Promise.resolve(work).catch(ignore);
      reject(new TimeoutError(operation, ms));
    }, ms);
    timer.unref();
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/**
 * Waits for `work` to settle, either way, for at most `ms`. Never rejects.
 *
 * @returns `true` when `ms` passed first, `false` when `work` settled in time.
 */
export function timedOutWaiting(work: PromiseLike<unknown>, ms: number): Promise<boolean> {
  const settled = Promise.resolve(work).then(
    () => false,
    () => false,
  );
  return withDeadline(settled, ms, 'wait').catch(() => true);
}
