// Idle workers of a RedisJobStore wait on a pub/sub channel per queue that adds publish to, over
// one subscribing connection per store, opened on first use. A lost message or a broken
// subscription costs at most one poll interval: the wait is a hint, never a promise of work. So
// the connection's errors are swallowed (the user's own client reports the same outage), and the
// helper keeps the channels subscribed across reconnections.
import { RedisSubscriberConnection } from '../../core/internal/RedisSubscriberConnection.js';
import { WakeWaiters } from '../WakeWaiters.js';
import type { RedisJobSubscriber } from './RedisJobClient.js';

/** Bounds a SUBSCRIBE's confirmation, after which the next wait tries again. */
const SUBSCRIBE_TIMEOUT_MS = 5_000;
/** Bounds close(): a hung Redis never answers QUIT, and the connection is then disconnected. */
const QUIT_TIMEOUT_MS = 2_000;

/** @internal */
export class WakeSubscriber {
  #connection: RedisSubscriberConnection | undefined;
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
    await connection?.close(QUIT_TIMEOUT_MS);
  }

  #subscribe(channel: string): void {
    if (this.#closed || this.#subscribed.has(channel)) return;
    this.#subscribed.add(channel);
    this.#connection ??= new RedisSubscriberConnection({
      connection: this.open(),
      owned: true,
      onMessage: (from) => this.#waiters.wake(from),
      confirmTimeoutMs: SUBSCRIBE_TIMEOUT_MS,
    });
    // Refused or unconfirmed: the next wait asks again (a down connection resubscribes by itself).
    this.#connection.subscribe(channel).catch(() => this.#subscribed.delete(channel));
  }
}
