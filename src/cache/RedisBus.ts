import { randomUUID } from 'node:crypto';
import type { Bus, BusHandler } from '../core/Bus.js';
import type { Closeable, CloseOptions } from '../core/Closeable.js';
import type { AbortedError } from '../core/errors/AbortedError.js';
import { ClosedError } from '../core/errors/ClosedError.js';
import { InvalidOptionError } from '../core/errors/InvalidOptionError.js';
import { drainUnlessAborted } from '../core/internal/abort.js';
import { timedOutWaiting, withDeadline } from '../core/internal/deadline.js';
import { toJsonText } from '../core/internal/json.js';
import { RedisSubscriberConnection } from '../core/internal/RedisSubscriberConnection.js';
import { signalOption } from '../core/internal/signalOption.js';
import {
  checkOptionKeys,
  functionOption,
  implementationOption,
  integerOption,
  nonEmptyStringOption,
  optionsObject,
} from '../core/internal/validate.js';
import { warnThrew } from '../core/internal/warnThrew.js';
import type { JsonValue } from '../core/Json.js';
import {
  REDIS_BUS_OPTIONS as OPTIONS,
  type RedisBusOptions,
  type RedisBusPublisher,
} from './RedisBusOptions.js';

export type { RedisBusOptions, RedisBusPublisher, RedisBusSubscriber } from './RedisBusOptions.js';

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
  readonly #subscription: RedisSubscriberConnection;
  readonly #onHandlerError: ((error: unknown, channel: string) => void) | undefined;
  readonly #closeTimeoutMs: number;
  readonly #commandTimeoutMs: number;
  /**
   * Redis delivers one connection's messages to a subscriber connection in the order it ran the
   * PUBLISHes, across channels; the nodes of a Cluster do not.
   */
  readonly #ordered: boolean;
  readonly #id = randomUUID();
  readonly #channels = new Map<string, Set<Subscription>>();
  readonly #confirming = new Set<Promise<unknown>>();
  /** Our own messages not yet received back: sequence number → channel, in sequence order. */
  readonly #inFlight = new Map<number, string>();
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
    checkOptionKeys(opts, OPTIONS, 'RedisBus');
    const client = implementationOption<RedisBusOptions['client']>(
      'options.client',
      opts.client,
      ['publish'],
      'an ioredis Redis client',
    );
    this.#client = client;
    this.#ordered = client.isCluster !== true;
    this.#onHandlerError =
      opts.onHandlerError === undefined
        ? undefined
        : functionOption<(error: unknown, channel: string) => void>(
            'options.onHandlerError',
            opts.onHandlerError,
          );
    this.#closeTimeoutMs = integerOption('options.closeTimeoutMs', opts.closeTimeoutMs ?? 5_000, 0);
    this.#commandTimeoutMs = integerOption(
      'options.commandTimeoutMs',
      opts.commandTimeoutMs ?? 5_000,
      1,
      2 ** 31 - 1,
    );
    const sub = opts.subscriber;
    if (sub === undefined && typeof client.duplicate !== 'function') {
      throw new InvalidOptionError(
        'options.subscriber',
        'given when the client cannot duplicate()',
        undefined,
      );
    }
    if (
      sub !== undefined &&
      (typeof sub !== 'object' ||
        sub === null ||
        typeof sub.subscribe !== 'function' ||
        typeof sub.on !== 'function')
    ) {
      throw new InvalidOptionError('options.subscriber', 'an ioredis Redis client', sub);
    }
    this.#subscription = new RedisSubscriberConnection({
      connection: sub ?? client.duplicate(),
      owned: sub === undefined,
      onMessage: this.#onMessage,
      // An outage breaks every subscription: each channel's owner hears of it once.
      onError: (error) => {
        for (const channel of this.#channels.keys()) this.#report(error, channel, 'subscription');
      },
      // What was in flight, or is published before the bus subscribes again, never comes back.
      onDropped: () => this.#forget(() => true),
      confirmTimeoutMs: this.#commandTimeoutMs,
    });
  }

  /** `true` once `close()` or `destroy()` has been called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Resolves once Redis has confirmed every subscription made so far: from then on they receive
   * what any process publishes. (`publish()` on this bus waits for it by itself.) While the
   * subscriber connection is down it resolves at its next failed attempt to reconnect: the bus
   * subscribes when it is back.
   * @returns a promise that resolves when confirmed (failed subscriptions went to `onHandlerError`,
   * and none waits longer than `commandTimeoutMs`).
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
    // Only what Redis will send back is waited for by close(): not while the subscription is down.
    if (this.#channels.has(channel) && this.#subscription.isListening(channel))
      this.#inFlight.set(seq, channel);
    try {
      await withDeadline(
        this.#client.publish(channel, `${WIRE}${this.#id}|${seq}|${text}`),
        this.#commandTimeoutMs,
        'RedisBus publish',
      );
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
      this.#track(this.#subscription.subscribe(channel), channel);
    }
    subscriptions.add(subscription);
    return {
      [Symbol.dispose]: () => {
        const current = this.#channels.get(channel);
        if (current?.delete(subscription) === true && current.size === 0) {
          this.#channels.delete(channel);
          // Nobody here listens to those any more, so close() has nothing to wait for on this channel.
          this.#forget((_, on) => on === channel);
          if (!this.#destroyed) this.#track(this.#subscription.unsubscribe(channel), channel);
        }
      },
    };
  }

  /**
   * Stops accepting messages and subscriptions, waits (at most `closeTimeoutMs`) until the
   * messages this bus published on its own subscribed channels have been delivered, then
   * unsubscribes (and quits the subscriber connection it made, disconnecting it if Redis does not
   * answer within `closeTimeoutMs`). Idempotent.
   *
   * It does not wait for a message Redis lost: one in flight when the subscriber connection
   * dropped, one published while it was down, and (except on a `Cluster`) one published before
   * a later message of this bus that came back, since Redis delivers them in order.
   *
   * @param options - a `signal` to stop waiting, which destroys the bus.
   * @returns a promise that resolves once closed.
   * @throws `signal.reason` (an {@link AbortedError} if it is not an `Error`), as a rejection,
   * when `options.signal` aborts first.
   */
  async close(options?: CloseOptions): Promise<void> {
    const signal = signalOption(options, 'RedisBus.close');
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
    this.#subscription.destroy();
  }

  /** Calls {@link RedisBus.close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #drainThenRelease(): Promise<void> {
    if (this.#inFlight.size > 0 && !this.#destroyed && this.#closeTimeoutMs > 0) {
      await timedOutWaiting(
        new Promise<void>((resolve) => {
          this.#onDrained = resolve;
        }),
        this.#closeTimeoutMs,
      );
    }
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.#channels.clear();
    this.#inFlight.clear();
    // Redis may be down or hung: the helper never waits on it for longer than closeTimeoutMs.
    await this.#subscription.close(this.#closeTimeoutMs);
  }

  #track(command: Promise<unknown>, channel: string): void {
    const tracked = command.then(
      () => undefined,
      (error: unknown) => this.#report(error, channel, 'subscription'),
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
      if (raw.slice(WIRE.length, idEnd) === this.#id) this.#receivedOwn(Number(raw.slice(idEnd + 1, seqEnd)));
    }
    const subscriptions = this.#channels.get(channel);
    if (subscriptions === undefined || this.#destroyed) return;
    for (const subscription of subscriptions) {
      let message: JsonValue;
      try {
        message = JSON.parse(payload) as JsonValue;
      } catch (error) {
        this.#report(error, channel, 'handler');
        return;
      }
      try {
        const result: unknown = subscription.handler(message, channel);
        if (result instanceof Promise)
          result.catch((error: unknown) => this.#report(error, channel, 'handler'));
      } catch (error) {
        this.#report(error, channel, 'handler');
      }
    }
  };

  /** Our own message `seq` is back, so any earlier one still in flight was lost (when ordered). */
  #receivedOwn(seq: number): void {
    if (this.#ordered) this.#forget((pending) => pending <= seq);
    else this.#settle(seq);
  }

  #settle(seq: number): void {
    if (this.#inFlight.delete(seq) && this.#inFlight.size === 0) this.#onDrained?.();
  }

  /** Stops waiting for our own messages that `which` picks. */
  #forget(which: (seq: number, channel: string) => boolean): void {
    if (this.#inFlight.size === 0) return;
    for (const [seq, channel] of this.#inFlight) if (which(seq, channel)) this.#inFlight.delete(seq);
    if (this.#inFlight.size === 0) this.#onDrained?.();
  }

  #report(error: unknown, channel: string, source: 'handler' | 'subscription'): void {
    if (this.#onHandlerError === undefined) {
      warnHandlerThrew(error, channel, source);
      return;
    }
    try {
      this.#onHandlerError(error, channel);
    } catch (hookError) {
      warnHandlerThrew(hookError, channel, 'handler');
    }
  }
}

function warnHandlerThrew(error: unknown, channel: string, source: 'handler' | 'subscription'): void {
  const where = `channel ${JSON.stringify(channel)}`;
  warnThrew(
    'LOADSTONE_WARN_BUS_HANDLER_THREW',
    source === 'handler'
      ? `A RedisBus handler for ${where} threw`
      : `The RedisBus subscription to ${where} failed`,
    error,
  );
}
