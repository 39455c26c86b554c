/**
 * The part of an ioredis client the store uses. ioredis's `Redis` and `Cluster` both fit:
 * `evalsha`/`eval` run the scripts, and `duplicate()` opens the one extra connection the store
 * subscribes on, to wake idle workers when a job is added.
 */
export type RedisJobClient = {
  /** Runs a cached script by its SHA1. */
  evalsha(sha: string, numKeys: number, ...keysAndArgs: (string | number)[]): Promise<unknown>;
  /** Runs a script from source. */
  eval(script: string, numKeys: number, ...keysAndArgs: (string | number)[]): Promise<unknown>;
  /** A new client with the same settings (ioredis `duplicate()`), for the subscription. */
  duplicate(): RedisJobSubscriber;
};

/** The subscribing connection {@link RedisJobClient.duplicate} returns (an ioredis client). */
export type RedisJobSubscriber = {
  /**
   * ioredis's connection state. The store subscribes once it is `ready` (a client with
   * `enableOfflineQueue: false` refuses commands before that); without it, at once.
   */
  readonly status?: string;
  /** Connects a `lazyConnect` connection (status `wait`) before the store subscribes on it. */
  connect?(): Promise<unknown>;
  /** Subscribes to channels. */
  subscribe(...channels: string[]): Promise<unknown>;
  /** Unsubscribes from channels. */
  unsubscribe(...channels: string[]): Promise<unknown>;
  /**
   * Listens for `message` (`channel`, `message`), `error`, and `ready` and `close`, to subscribe
   * again after a reconnection.
   */
  on(event: 'message' | 'ready' | 'close' | 'error', listener: (...args: unknown[]) => void): unknown;
  /** Closes the connection. */
  quit(): Promise<unknown>;
  /** Closes the connection at once, when `quit()` is refused or Redis does not answer it. */
  disconnect?(): void;
};
