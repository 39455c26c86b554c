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
  /** Subscribes to channels. */
  subscribe(...channels: string[]): Promise<unknown>;
  /** Unsubscribes from channels. */
  unsubscribe(...channels: string[]): Promise<unknown>;
  /** Listens for `message` (and `error`). */
  on(event: 'message', listener: (channel: string, message: string) => void): unknown;
  /** Listens for `error`. */
  on(event: 'error', listener: (error: unknown) => void): unknown;
  /** Closes the connection. */
  quit(): Promise<unknown>;
};
