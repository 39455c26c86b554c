// Every Redis connection loadstone opens for itself is a subscriber (RedisBus's, the job store's
// wake-up channel), duplicated from the user's client, and each needs the care ioredis leaves to
// its user:
// - an `error` listener, or ioredis prints "[ioredis] Unhandled error event" on every reconnect
//   attempt; the owner hears the first error of each outage, not one per retry;
// - SUBSCRIBE only once the connection is ready: the duplicate inherits the client's options, and
//   with `enableOfflineQueue: false` ioredis refuses a command sent before that instead of queueing it;
// - every wanted channel subscribed again whenever the connection is ready again: ioredis's
//   `autoResubscribe` restores only what Redis had confirmed before the drop (and nothing when it
//   is turned off), so a channel refused while the connection was down would stay deaf for good;
// - every wait bounded (deadline.ts): a hung Redis answers nothing, ever.
// It is shaped after ioredis but imports nothing of it: it uses only what the user's client offers.
import { timedOutWaiting, withDeadline } from './deadline.js';

/** The connection events the helper listens to. */
export type SubscriberEvent = 'message' | 'ready' | 'close' | 'error';

/** What the helper uses of an ioredis `Redis` (or `Cluster`) connection. */
export type SubscriberConnection = {
  /** ioredis's state (`wait`, `connecting`, `ready`, …); without it the connection is always ready. */
  readonly status?: string;
  /** Connects a `lazyConnect` connection (status `wait`). */
  connect?(): Promise<unknown>;
  subscribe(channel: string): Promise<unknown>;
  unsubscribe(channel: string): Promise<unknown>;
  on(event: SubscriberEvent, listener: (...args: unknown[]) => void): unknown;
  removeListener?(event: SubscriberEvent, listener: (...args: unknown[]) => void): unknown;
  quit(): Promise<unknown>;
  disconnect?(): void;
};

/** Options of {@link RedisSubscriberConnection}. */
export type RedisSubscriberConnectionOptions = {
  readonly connection: SubscriberConnection;
  /**
   * `true` for a connection loadstone made (`duplicate()`): it gets an `error` listener, and
   * close() quits it. `false` for the user's own: the user listens to its errors (ioredis asks
   * them to), so only `message`, `ready` and `close` are listened to, and close() unsubscribes.
   */
  readonly owned: boolean;
  /** A message on a wanted channel. */
  readonly onMessage: (channel: string, message: string) => void;
  /** The first error of each outage (owned connections only), a failed resubscription. Must not throw. */
  readonly onError?: (error: unknown) => void;
  /**
   * The connection dropped: what Redis sent it, or what is published before it subscribes again,
   * is lost. Must not throw.
   */
  readonly onDropped?: () => void;
  /** Bounds each wait for Redis to confirm a SUBSCRIBE (connection included) or an UNSUBSCRIBE. */
  readonly confirmTimeoutMs: number;
};

type Waiter = {
  readonly promise: Promise<boolean>;
  readonly resolve: (ok: boolean | Promise<boolean>) => void;
};

/**
 * One subscriber connection and the channels wanted on it, kept subscribed across reconnections.
 * @internal
 */
export class RedisSubscriberConnection {
  readonly #connection: SubscriberConnection;
  readonly #owned: boolean;
  readonly #onMessage: (channel: string, message: string) => void;
  readonly #onError: ((error: unknown) => void) | undefined;
  readonly #onDropped: (() => void) | undefined;
  readonly #confirmTimeoutMs: number;
  readonly #wanted = new Set<string>();
  /** Wanted channels Redis confirmed since the connection was last ready. */
  readonly #listening = new Set<string>();
  /** Ready since the last `close` event. */
  #up: boolean;
  /** Bumped by every drop: a confirmation sent before it says nothing about the new connection. */
  #generation = 0;
  /** An error was reported since the connection was last ready. */
  #inOutage = false;
  #nextReady: Waiter | undefined;
  #released = false;

  constructor(options: RedisSubscriberConnectionOptions) {
    this.#connection = options.connection;
    this.#owned = options.owned;
    this.#onMessage = options.onMessage;
    this.#onError = options.onError;
    this.#onDropped = options.onDropped;
    this.#confirmTimeoutMs = options.confirmTimeoutMs;
    this.#up = this.#isReady();
    this.#connection.on('message', this.#handleMessage);
    this.#connection.on('ready', this.#handleReady);
    this.#connection.on('close', this.#handleClose);
    if (this.#owned) this.#connection.on('error', this.#handleError);
  }

  /** Whether Redis has confirmed `channel` on the current connection (a drop clears it). */
  isListening(channel: string): boolean {
    return this.#listening.has(channel);
  }

  /**
   * Wants `channel` from now on, and subscribes to it once the connection is ready.
   * @returns `true` once Redis confirmed it; `false` when the connection was or went down first
   * (it is subscribed when the connection is ready again), or Redis refused the SUBSCRIBE sent
   * when it became ready (that goes to `onError`, once for all the channels it carried).
   * @throws as a rejection, Redis's refusal of a SUBSCRIBE sent at once, or a `TimeoutError`
   * after `confirmTimeoutMs`.
   */
  subscribe(channel: string): Promise<boolean> {
    if (this.#released) return Promise.resolve(false);
    this.#wanted.add(channel);
    if (this.#isReady()) return this.#confirm([channel]);
    const connection = this.#connection;
    if (connection.status === 'wait') {
      // A lazyConnect connection; ioredis would connect on the first command, but refuse it.
      if (typeof connection.connect !== 'function') return this.#confirm([channel]);
      connection.connect().catch(() => undefined);
    }
    if (this.#nextReady === undefined) {
      let resolve: Waiter['resolve'] = () => undefined;
      const promise = new Promise<boolean>((settle) => {
        resolve = settle;
      });
      this.#nextReady = { promise, resolve };
    }
    return withDeadline(this.#nextReady.promise, this.#confirmTimeoutMs, `SUBSCRIBE ${channel} on Redis`);
  }

  /**
   * Stops wanting `channel`. While the connection is down there is nothing to undo: ioredis may
   * restore it on reconnection, and its messages are then dropped here.
   */
  async unsubscribe(channel: string): Promise<void> {
    this.#wanted.delete(channel);
    this.#listening.delete(channel);
    if (this.#released || !this.#isReady()) return;
    await withDeadline(
      this.#connection.unsubscribe(channel),
      this.#confirmTimeoutMs,
      `UNSUBSCRIBE ${channel} on Redis`,
    );
  }

  /**
   * Lets go of the connection: quits an owned one (disconnecting it if QUIT is refused or takes
   * longer than `timeoutMs`), unsubscribes from a borrowed one (waiting at most `timeoutMs`).
   * `timeoutMs` ≤ 0: no wait at all. Idempotent.
   */
  async close(timeoutMs: number): Promise<void> {
    if (this.#released) return;
    const channels = [...this.#wanted];
    this.#release();
    const connection = this.#connection;
    if (this.#owned) {
      if (timeoutMs <= 0) return connection.disconnect?.();
      const quit = connection.quit().then(
        () => undefined,
        () => connection.disconnect?.(),
      );
      if (await timedOutWaiting(quit, timeoutMs)) connection.disconnect?.();
      return;
    }
    const unsubscribed = Promise.all(channels.map((channel) => connection.unsubscribe(channel)));
    if (timeoutMs > 0) await timedOutWaiting(unsubscribed, timeoutMs);
    else unsubscribed.catch(() => undefined);
  }

  /** Lets go at once: disconnects an owned connection, leaves a borrowed one as it is. */
  destroy(): void {
    if (!this.#released) this.#release();
    if (this.#owned) this.#connection.disconnect?.();
  }

  #isReady(): boolean {
    const status = this.#connection.status;
    return status === undefined || status === 'ready';
  }

  /** Subscribes to `channels` (one command each: a borrowed client may take one at a time). */
  #confirm(channels: readonly string[]): Promise<boolean> {
    const generation = this.#generation;
    const sent = Promise.all(channels.map((channel) => this.#connection.subscribe(channel))).then(
      () => {
        // Also after the deadline: a late confirmation still counts.
        if (generation !== this.#generation || this.#released) return false;
        for (const channel of channels) if (this.#wanted.has(channel)) this.#listening.add(channel);
        return true;
      },
      (error: unknown) => {
        // Refused by the drop itself: the channels are subscribed again when it is ready.
        if (generation !== this.#generation) return false;
        throw error;
      },
    );
    return withDeadline(sent, this.#confirmTimeoutMs, `SUBSCRIBE ${channels.join(' ')} on Redis`);
  }

  #release(): void {
    this.#released = true;
    this.#wanted.clear();
    this.#listening.clear();
    this.#nextReady?.resolve(false);
    this.#nextReady = undefined;
    // The `error` listener stays: an owned connection may still fail while it closes.
    this.#connection.removeListener?.('message', this.#handleMessage);
    this.#connection.removeListener?.('ready', this.#handleReady);
    this.#connection.removeListener?.('close', this.#handleClose);
  }

  readonly #handleMessage = (channel: unknown, message: unknown): void => {
    if (typeof channel !== 'string' || this.#released || !this.#wanted.has(channel)) return;
    this.#onMessage(channel, String(message));
  };

  // After release (a connection without `removeListener` still calls it) no channel is wanted.
  readonly #handleReady = (): void => {
    this.#up = true;
    this.#inOutage = false;
    const channels = [...this.#wanted];
    const confirmed =
      channels.length === 0
        ? Promise.resolve(true)
        : this.#confirm(channels).catch((error: unknown) => {
            this.#onError?.(error);
            return false;
          });
    this.#nextReady?.resolve(confirmed);
    this.#nextReady = undefined;
  };

  readonly #handleClose = (): void => {
    // Each failed attempt to connect closes too: a subscribe waiting on it gives up until the next ready.
    this.#nextReady?.resolve(false);
    this.#nextReady = undefined;
    if (!this.#up || this.#released) return;
    this.#up = false;
    this.#generation++;
    this.#listening.clear();
    this.#onDropped?.();
  };

  readonly #handleError = (error: unknown): void => {
    if (this.#inOutage || this.#released) return;
    this.#inOutage = true;
    this.#onError?.(error);
  };
}
