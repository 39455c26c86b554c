// Waiter states.
export const QUEUED = 0;
/** Out of the queue, holding a resource that is being validated for it. */
export const CLAIMED = 1;
export const DONE = 2;

/** An acquire that could not be served at once. */
export type Waiter<T> = {
  state: number;
  readonly resolve: (resource: T) => void;
  readonly reject: (error: unknown) => void;
  readonly enqueuedAt: number;
  /** Clock time after which it times out (shared deadline queue), or +∞. */
  readonly deadline: number;
  readonly signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  /** Its own timer, for a per-call timeout that differs from the pool's. */
  timer: NodeJS.Timeout | undefined;
  readonly timeoutMs: number;
  readonly stack: string | undefined;
};
