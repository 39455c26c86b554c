// Idle workers waiting for a hint of new work on a channel (a queue): the memory store wakes them
// on an add, the Redis store on a pub/sub message. Each wait also ends at its timeout or when its
// signal aborts; it never rejects.

/** @internal */
export class WakeWaiters {
  readonly #waiters = new Map<string, Set<() => void>>();

  /** Resolves on `wake(channel)`, after `timeoutMs`, or when `signal` aborts. */
  wait(channel: string, timeoutMs: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      let waiters = this.#waiters.get(channel);
      if (waiters === undefined) {
        waiters = new Set();
        this.#waiters.set(channel, waiters);
      }
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      signal.addEventListener('abort', done, { once: true });
      if (signal.aborted) done();
      else waiters.add(done);
    });
  }

  /** Ends every wait on `channel`. */
  wake(channel: string): void {
    const waiters = this.#waiters.get(channel);
    if (waiters === undefined) return;
    this.#waiters.delete(channel);
    for (const done of waiters) done();
  }

  /** Ends every wait. */
  wakeAll(): void {
    for (const channel of [...this.#waiters.keys()]) this.wake(channel);
  }
}
