// Where the pool is in its life, shared by WorkerThreadPool and its collaborators. Internal.

/** Set by `close()` and `destroy()`; read wherever work is taken in or threads are (re)started. */
export class PoolState {
  /** `close()` or `destroy()` was called: no new task, no replacement of warm threads. */
  closed = false;
  /** `destroy()` was called: no new thread at all, and idle threads are not reaped (they are ending). */
  destroyed = false;
}
