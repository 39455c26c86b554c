import { optionNames } from '../core/internal/validate.js';

/** The subscriber side of an ioredis client, as {@link RedisBus} uses it. */
export type RedisBusSubscriber = {
  /**
   * ioredis's connection state. The bus subscribes once it is `ready` (a client with
   * `enableOfflineQueue: false` refuses commands before that); without it, the bus subscribes at
   * once.
   */
  readonly status?: string;
  /** Connects a `lazyConnect` connection (status `wait`) before the bus subscribes on it. */
  connect?(): Promise<unknown>;
  /** `SUBSCRIBE channel`. */
  subscribe(channel: string): Promise<unknown>;
  /** `UNSUBSCRIBE channel`. */
  unsubscribe(channel: string): Promise<unknown>;
  /**
   * Listens to `message` (`channel`, `message`); to `ready` and `close`, to subscribe again after
   * a reconnection; and to `error` only on the connection the bus made itself.
   */
  on(event: 'message' | 'ready' | 'close' | 'error', listener: (...args: unknown[]) => void): unknown;
  /** Stops listening. */
  removeListener(
    event: 'message' | 'ready' | 'close' | 'error',
    listener: (...args: unknown[]) => void,
  ): unknown;
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
  /**
   * `true` on an ioredis `Cluster`, whose nodes may deliver one client's messages out of order
   * (see {@link RedisBus.close}).
   */
  readonly isCluster?: boolean;
};

/** Options of {@link RedisBus}. */
export type RedisBusOptions = {
  /**
   * Your ioredis `Redis` (or `Cluster`) client, used to publish. It is never quit by the bus.
   */
  readonly client: RedisBusPublisher;
  /**
   * A connection for subscribing (a subscribed Redis connection can run nothing else). The bus
   * never quits one you pass, nor listens to its `error` events: add your own listener, as
   * ioredis asks.
   * @default `client.duplicate()`, owned by the bus and quit by `close()`
   */
  readonly subscriber?: RedisBusSubscriber;
  /**
   * Receives what a handler throws (or what the promise it returns rejects with), messages on a
   * subscribed channel that are not JSON, and failed subscriptions: a SUBSCRIBE Redis refused or
   * did not confirm within `commandTimeoutMs`, and, once per subscribed channel and outage, the first error of
   * the subscriber connection the bus made (the bus subscribes again when it is back).
   * @default a `process.emitWarning` with code `LOADSTONE_WARN_BUS_HANDLER_THREW`
   */
  readonly onHandlerError?: (error: unknown, channel: string) => void;
  /** How long `close()` waits for this bus's own messages to come back before it destroys. @default 5_000 */
  readonly closeTimeoutMs?: number;
  /**
   * Longest wait for Redis, in ms: a `publish` not answered by then rejects with a `TimeoutError`
   * (the message may still be delivered), and a subscription not confirmed by then (connection
   * included) goes to `onHandlerError`. A hung Redis (frozen, or behind a black-holed route)
   * answers nothing and closes nothing, and ioredis bounds no such wait by itself. Minimum: 1.
   * Maximum: 2^31 − 1.
   * @default 5_000
   */
  readonly commandTimeoutMs?: number;
};

/** @internal The option names of {@link RedisBusOptions}. */
export const REDIS_BUS_OPTIONS = optionNames<RedisBusOptions>()([
  'client',
  'subscriber',
  'onHandlerError',
  'commandTimeoutMs',
  'closeTimeoutMs',
]);
