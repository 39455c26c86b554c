// Every wait that crosses a process or network boundary (a Redis command, an IPC reply, a
// connection's quit, a worker's drain) goes through one of these two, so no such wait outlives
// its documented limit: a hung Redis (SIGSTOP, a black-holed route) answers nothing, ever, and
// neither the TCP stack nor ioredis bounds that wait by itself.
import { TimeoutError } from '../errors/TimeoutError.js';

const TIMED_OUT: unique symbol = Symbol('timed out');

/** `work`'s outcome, or {@link TIMED_OUT} once `ms` passed first (`ms` ≤ 0 or not finite: never). */
function race<T>(work: PromiseLike<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  if (!(ms > 0 && Number.isFinite(ms))) return Promise.resolve(work);
  return new Promise<T | typeof TIMED_OUT>((resolve, reject) => {
    // Never keeps the process alive: the wait belongs to someone who does.
    const timer = setTimeout(() => resolve(TIMED_OUT), ms);
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
 * `work`'s outcome, or a rejection with a {@link TimeoutError} naming `operation` once `ms`
 * passed first. `ms` ≤ 0 or not finite: no deadline. A late rejection of `work` is ignored (the
 * caller has already been answered).
 */
export async function withDeadline<T>(work: PromiseLike<T>, ms: number, operation: string): Promise<T> {
  const outcome = await race(work, ms);
  if (outcome !== TIMED_OUT) return outcome;
  Promise.resolve(work).catch(() => undefined);
  throw new TimeoutError(operation, ms);
}

/**
 * Waits for `work` to settle, either way, for at most `ms`. Never rejects.
 *
 * @returns `true` when `ms` passed first, `false` when `work` settled in time.
 */
export async function timedOutWaiting(work: PromiseLike<unknown>, ms: number): Promise<boolean> {
  const settled = Promise.resolve(work).then(
    () => undefined,
    () => undefined,
  );
  return (await race(settled, ms)) === TIMED_OUT;
}
