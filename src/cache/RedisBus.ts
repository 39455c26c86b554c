import { randomUUID } from 'node:crypto';
import type { Bus, BusHandler } from '../core/Bus.js';
import type { Closeable, CloseOptions } from '../core/Closeable.js';
import type { AbortedError } from '../core/errors/AbortedError.js';
import { ClosedError } from '../core/errors/ClosedError.js';
import { InvalidOptionError } from '../core/errors/InvalidOptionError.js';
import { drainUnlessAborted } from '../core/internal/abort.js';
import { toJsonText } from '../core/internal/json.js';
import {
  functionOption,
  implementationOption,
  integerOption,
  nonEmptyStringOption,
  optionsObject,
} from '../core/internal/validate.js';
import { warnThrew } from '../core/internal/warnThrew.js';
import type { JsonValue } from '../core/Json.js';

/** The subscriber side of an ioredis client, as {@link RedisBus} uses it. */
export type RedisBusSubscriber = {
  /** `SUBSCRIBE channel`. */
  subscribe(channel: string): Promise<unknown>;
  /** `UNSUBSCRIBE channel`. */
  unsubscribe(channel: string): Promise<unknown>;
  /** Listens to `message` events (`channel`, `message`). */
  on(event: 'message', listener: (channel: string, message: string) => void): unknown;
  /** Stops listening. */
  removeListener(event: 'message', listener: (channel: string, message: string) => void): unknown;
  /** Closes the connection gracefully. */
  quit(): Promise<unknown>;
  /** Closes the connection at once. */
  disconnect(): void;
};

/** The publisher side of an ioredis client, as {@link RedisBus} uses it. */
export type RedisBusPublisher = {
  /** `PUBLISH channel message`. */
  publish(channel: string, message: string): Promise<number>;
  /** A new connection with the same settings, for the subscriber. */
  duplicate(): RedisBusSubscriber;
};

/** Options of {@link RedisBus}. */
export type RedisBusOptions = {
  /**
   * Your ioredis `Redis` (or `Cluster`) client, used to publish. It is never quit by the bus.
   */
  readonly client: RedisBusPublisher;
  /**
   * A connection for subscribing (a subscribed Redis connection can run nothing else). The bus
   * never quits one you pass.
   * @default `client.duplicate()`, owned by the bus and quit by `close()`
   */
  readonly subscriber?: RedisBusSubscriber;
  /**
   * Receives what a handler throws (or what the promise it returns rejects with), and messages
   * on a subscribed channel that are not JSON.
   * @default a `process.emitWarning` with code `LOADSTONE_WARN_BUS_HANDLER_THREW`
   */
  readonly onHandlerError?: (error: unknown, channel: string) => void;
  /** How long `close()` waits for this bus's own messages to come back before it destroys. @default 5_000 */
  readonly closeTimeoutMs?: number;
};

type Subscription = { readonly handler: BusHandler };

// Wire format: `ls1|<bus id>|<sequence>|<JSON>`, so the bus recognises its own messages (for
// close(), which waits for them) and can still read plain JSON published by other clients.
const WIRE = 'ls1|';

/**
 * A {@link Bus} over Redis pub/sub, for processes on any number of machines, e.g. for
 * `TieredCache` invalidations. Delivery is at most once (Redis pub/sub keeps nothing: a process
 * that is disconnected misses what was published meanwhile); order is kept per publisher.
 * `publish()` waits until every subscription made before it is confirmed by Redis, so a
 * subscription receives everything published after `subscribe()` returned.
 *
 * @example
 * {@includeCode ../../test/integration/cache-redis-bus.test.ts#redisBus}
 */
export class RedisBus implements Bus, Closeable {
  readonly #client: RedisBusPublisher;
  readonly #subscriber: RedisBusSubscriber;
  readonly #ownsSubscriber: boolean;
  readonly #onHandlerError: (error: unknown, channel: string) => void;
  readonly #closeTimeoutMs: number;
  readonly #id = randomUUID();
  readonly #channels = new Map<string, Set<Subscription>>();
  readonly #confirming = new Set<Promise<unknown>>();
  /** Sequence numbers of our own messages not yet received back, per channel. */
  readonly #inFlight = new Set<number>();
  #seq = 0;
  #closed = false;
  #destroyed = false;
  #closing: Promise<void> | undefined;
  #onDrained: (() => void) | undefined;

  /**
   * @param options - the client, an optional subscriber connection and the handler-error hook.
   * @throws {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION` for a bad option.
   */
  constructor(options: RedisBusOptions) {
    const opts = optionsObject('options', options) as Partial<RedisBusOptions>;
    const client = implementationOption<RedisBusOptions['client']>(
      'options.client',
      opts.client,
      ['publish'],
      'an ioredis Redis client',
    );
    this.#client = client;
    this.#onHandlerError =
      opts.onHandlerError === undefined
        ? warnHandlerThrew
        : functionOption('options.onHandlerError', opts.onHandlerError);
    this.#closeTimeoutMs = integerOption('options.closeTimeoutMs', opts.closeTimeoutMs ?? 5_000, 0);
    if (opts.subscriber === undefined) {
      if (typeof client.duplicate !== 'function') {
        throw new InvalidOptionError(
          'options.subscriber',
          'given when the client cannot duplicate()',
          undefined,
        );
      }
      this.#subscriber = client.duplicate();
      this.#ownsSubscriber = true;
    } else {
      const sub = opts.subscriber;
      if (
        typeof sub !== 'object' ||
        sub === null ||
        typeof sub.subscribe !== 'function' ||
        typeof sub.on !== 'function'
      ) {
        throw new InvalidOptionError('options.subscriber', 'an ioredis Redis client', sub);
      }
      this.#subscriber = sub;
      this.#ownsSubscriber = false;
    }
    this.#subscriber.on('message', this.#onMessage);
  }

  /** `true` once `close()` or `destroy()` has been called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Resolves once Redis has confirmed every subscription made so far: from then on they receive
   * what any process publishes. (`publish()` on this bus waits for it by itself.)
   * @returns a promise that resolves when confirmed (failed subscriptions went to `onHandlerError`).
   */
  async ready(): Promise<void> {
    while (this.#confirming.size > 0) await Promise.all(this.#confirming);
  }

  /** {@inheritDoc Bus.publish} */
  async publish(channel: string, message: JsonValue): Promise<void> {
    if (this.#closed) throw new ClosedError('RedisBus');
    nonEmptyStringOption('channel', channel);
    const text = toJsonText(message);
    if (this.#confirming.size > 0) await Promise.all(this.#confirming);
    if (this.#closed) throw new ClosedError('RedisBus');
    const seq = this.#seq++;
    if (this.#channels.has(channel)) this.#inFlight.add(seq);
    try {
      await this.#client.publish(channel, `${WIRE}${this.#id}|${seq}|${text}`);
    } catch (error) {
      this.#settle(seq);
      throw error;
    }
  }

  /** {@inheritDoc Bus.subscribe} */
  subscribe(channel: string, handler: BusHandler): Disposable {
    if (this.#closed) throw new ClosedError('RedisBus');
    nonEmptyStringOption('channel', channel);
    const subscription: Subscription = { handler: functionOption<BusHandler>('handler', handler) };
    let subscriptions = this.#channels.get(channel);
    if (subscriptions === undefined) {
      subscriptions = new Set();
      this.#channels.set(channel, subscriptions);
      this.#redisCommand(this.#subscriber.subscribe(channel), channel);
    }
    subscriptions.add(subscription);
    return {
      [Symbol.dispose]: () => {
        const current = this.#channels.get(channel);
        if (current?.delete(subscription) === true && current.size === 0) {
          this.#channels.delete(channel);
          if (!this.#destroyed) this.#redisCommand(this.#subscriber.unsubscribe(channel), channel);
        }
      },
    };
  }

  /**
   * Stops accepting messages and subscriptions, waits (at most `closeTimeoutMs`) until the
   * messages this bus published on its own subscribed channels have been delivered, then
   * unsubscribes (and quits the subscriber connection it made). Idempotent.
   *
   * @param options - a `signal` to stop waiting, which destroys the bus.
   * @returns a promise that resolves once closed.
   * @throws `signal.reason` (an {@link AbortedError} if it is not an `Error`), as a rejection,
   * when `options.signal` aborts first.
   */
  async close(options?: CloseOptions): Promise<void> {
    const signal = optionsObject('options', options).signal;
    if (signal !== undefined && !(signal instanceof AbortSignal)) {
      throw new InvalidOptionError('options.signal', 'an AbortSignal', signal);
    }
    this.#closed = true;
    this.#closing ??= this.#drainThenRelease();
    return drainUnlessAborted(this.#closing, signal, (reason) => this.destroy(reason), 'RedisBus close');
  }

  /**
   * Stops everything at once: drops subscriptions and undelivered messages and disconnects the
   * subscriber connection it made.
   * @param _reason - accepted for the {@link Closeable} contract.
   * @returns a promise that resolves at once.
   */
  async destroy(_reason?: unknown): Promise<void> {
    this.#closed = true;
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.#channels.clear();
    this.#inFlight.clear();
    this.#onDrained?.();
    this.#subscriber.removeListener('message', this.#onMessage);
    if (this.#ownsSubscriber) this.#subscriber.disconnect();
  }

  /** Calls {@link RedisBus.close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #drainThenRelease(): Promise<void> {
    if (this.#inFlight.size > 0 && !this.#destroyed) {
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        this.#onDrained = resolve;
        timer = setTimeout(resolve, this.#closeTimeoutMs);
        timer.unref();
      });
      clearTimeout(timer);
    }
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.#subscriber.removeListener('message', this.#onMessage);
    const channels = [...this.#channels.keys()];
    this.#channels.clear();
    // Redis may be down: never let close() wait on it for longer than closeTimeoutMs.
    const release = this.#ownsSubscriber
      ? this.#subscriber.quit().then(
          () => undefined,
          () => this.#subscriber.disconnect(),
        )
      : Promise.all(channels.map((channel) => this.#subscriber.unsubscribe(channel).catch(() => undefined)));
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      release.then(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), this.#closeTimeoutMs);
        timer.unref();
      }),
    ]);
    clearTimeout(timer);
    if (timedOut && this.#ownsSubscriber) this.#subscriber.disconnect();
  }

  #redisCommand(command: Promise<unknown>, channel: string): void {
    const tracked = command.then(
      () => undefined,
      (error: unknown) => this.#report(error, channel),
    );
    this.#confirming.add(tracked);
    void tracked.finally(() => this.#confirming.delete(tracked));
  }

  readonly #onMessage = (channel: string, raw: string): void => {
    let payload = raw;
    if (raw.startsWith(WIRE)) {
      const idEnd = raw.indexOf('|', WIRE.length);
      const seqEnd = raw.indexOf('|', idEnd + 1);
      payload = raw.slice(seqEnd + 1);
      if (raw.slice(WIRE.length, idEnd) === this.#id) this.#settle(Number(raw.slice(idEnd + 1, seqEnd)));
    }
    const subscriptions = this.#channels.get(channel);
    if (subscriptions === undefined || this.#destroyed) return;
    for (const subscription of subscriptions) {
      let message: JsonValue;
      try {
        message = JSON.parse(payload) as JsonValue;
      } catch (error) {
        this.#report(error, channel);
        return;
      }
      try {
        const result: unknown = subscription.handler(message, channel);
        if (result instanceof Promise) result.catch((error: unknown) => this.#report(error, channel));
      } catch (error) {
        this.#report(error, channel);
      }
    }
  };

  #settle(seq: number): void {
    if (this.#inFlight.delete(seq) && this.#inFlight.size === 0) this.#onDrained?.();
  }

  #report(error: unknown, channel: string): void {
    try {
      this.#onHandlerError(error, channel);
    } catch (hookError) {
      warnHandlerThrew(hookError, channel);
    }
  }
}

function warnHandlerThrew(error: unknown, channel: string): void {
  warnThrew(
    'LOADSTONE_WARN_BUS_HANDLER_THREW',
    `A RedisBus handler for channel ${JSON.stringify(channel)} threw`,
    error,
  );
}
