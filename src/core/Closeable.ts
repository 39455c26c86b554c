import type { ClosedError } from './errors/ClosedError.js';

/** Per-call options of {@link Closeable.close}. */
export type CloseOptions = {
  /**
   * Gives up on a graceful drain. When it aborts before the drain finishes, the rest of the
   * work is abandoned as by {@link Closeable.destroy}, and `close()` rejects with
   * `signal.reason` (so `AbortSignal.timeout(5_000)` bounds a shutdown). An already-aborted
   * signal destroys at once.
   * @default undefined (wait for the drain however long it takes)
   */
  readonly signal?: AbortSignal;
};

/**
 * Anything that owns timers, handles or in-flight work. Two ways out: `close()` stops intake
 * and drains, `destroy()` abandons the work. Either way, later calls fail with
 * {@link ClosedError} (`ERR_LOADSTONE_CLOSED`), and `await using` closes gracefully.
 *
 * @example
 * {@includeCode ./Closeable.test.ts#closeable}
 */
export interface Closeable {
  /** `true` from the moment `close()` or `destroy()` is first called. */
  readonly closed: boolean;

  /**
   * Stops intake at once, then waits for accepted work to finish. Idempotent: every call
   * settles when the one drain does.
   *
   * @param options - a `signal` to stop waiting and destroy instead.
   * @returns a promise that resolves once drained.
   * @throws `signal.reason`, as a rejection, when `options.signal` aborts first.
   */
  close(options?: CloseOptions): Promise<void>;

  /**
   * Stops intake and abandons in-flight work, which rejects with {@link ClosedError}
   * (`ERR_LOADSTONE_CLOSED`) carrying `reason` as its `cause`. Idempotent; also ends a
   * pending `close()`.
   *
   * @param reason - why, kept as the `cause` of the errors raised for abandoned work.
   * @returns a promise that resolves once resources are released.
   */
  destroy(reason?: unknown): Promise<void>;

  /**
   * Calls `close()`, for `await using`.
   *
   * @returns the promise `close()` returns.
   */
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Tells whether `value` implements {@link Closeable}, e.g. to close user-supplied parts that
 * may or may not own resources.
 *
 * @param value - anything.
 * @returns whether it has `close`, `destroy`, `[Symbol.asyncDispose]` and a boolean `closed`.
 *
 * @example
 * {@includeCode ./Closeable.test.ts#isCloseable}
 */
export function isCloseable(value: unknown): value is Closeable {
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null) return false;
  const candidate = value as Partial<Record<keyof Closeable, unknown>>;
  return (
    typeof candidate.close === 'function' &&
    typeof candidate.destroy === 'function' &&
    typeof candidate[Symbol.asyncDispose] === 'function' &&
    typeof candidate.closed === 'boolean'
  );
}
