// Idle workers of a RedisJobStore wait on a pub/sub channel per queue that adds publish to, over
// one subscribing connection per store, opened on first use. A lost message or a broken
// subscription costs at most one poll interval: the wait is a hint, never a promise of work.
import type { RedisJobSubscriber } from './RedisJobClient.js';

/** @internal */
export class WakeSubscriber {
  #connection: RedisJobSubscriber | undefined;
  readonly #waiters = new Map<string, Set<() => void>>();
  readonly #subscribed = new Set<string>();
  #closed = false;

  constructor(private readonly open: () => RedisJobSubscriber) {}

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
      if (signal.aborted) {
        done();
        return;
      }
      waiters.add(done);
      this.#subscribe(channel);
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    const connection = this.#connection;
    this.#connection = undefined;
    for (const waiters of this.#waiters.values()) for (const wake of [...waiters]) wake();
    await connection?.quit().catch(() => undefined);
  }

  #subscribe(channel: string): void {
    if (this.#closed || this.#subscribed.has(channel)) return;
    this.#subscribed.add(channel);
    if (this.#connection === undefined) {
      const connection = this.open();
      this.#connection = connection;
      connection.on('message', (from: string) => this.#wake(from));
      // A broken subscription only makes idle workers poll; ioredis reconnects and resubscribes.
      connection.on('error', () => undefined);
    }
    this.#connection.subscribe(channel).catch(() => this.#subscribed.delete(channel));
  }

  #wake(channel: string): void {
    const waiters = this.#waiters.get(channel);
    if (waiters === undefined) return;
    for (const wake of [...waiters]) wake();
  }
}
