/** A promise with its settle functions, for a state reached later (a worker ready, exited). */
export type Deferred = { promise: Promise<void>; resolve: () => void; reject: (error: unknown) => void };

/**
 * A {@link Deferred} whose rejection is handled from the start, so a worker that dies before
 * anyone awaits it does not raise an unhandled rejection.
 */
export function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => {});
  return { promise, resolve, reject };
}
