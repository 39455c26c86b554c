// Idle workers of a RedisJobStore wait on a pub/sub channel per queue that adds publish to, over
// one subscribing connection per store, opened on first use. A lost message or a broken
// subscription costs at most one poll interval: the wait is a hint, never a promise of work.
import { WakeWaiters } from '../WakeWaiters.js';
import type { RedisJobSubscriber } from './RedisJobClient.js';

/** @internal */
export class WakeSubscriber {
  #connection: RedisJobSubscriber | undefined;
  readonly #waiters = new WakeWaiters();
  readonly #subscribed = new Set<string>();
  #closed = false;

  constructor(private readonly open: () => RedisJobSubscriber) {}

  wait(channel: string, timeoutMs: number, signal: AbortSignal): Promise<void> {
    const waited = this.#waiters.wait(channel, timeoutMs, signal);
    if (!signal.aborted) this.#subscribe(channel);
    return waited;
  }

  async close(): Promise<void> {
    this.#closed = true;
    const connection = this.#connection;
    this.#connection = undefined;
    this.#waiters.wakeAll();
    await connection?.quit().catch(() => undefined);
  }

  #subscribe(channel: string): void {
    if (this.#closed || this.#subscribed.has(channel)) return;
    this.#subscribed.add(channel);
    if (this.#connection === undefined) {
      const connection = this.open();
      this.#connection = connection;
      connection.on('message', (from: string) => this.#waiters.wake(from));
      // A broken subscription only makes idle workers poll; ioredis reconnects and resubscribes.
      connection.on('error', () => undefined);
    }
    this.#connection.subscribe(channel).catch(() => this.#subscribed.delete(channel));
  }
}
