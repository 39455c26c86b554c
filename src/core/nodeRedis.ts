// node-redis (the official `redis` package, v5 and v6, RESP2 or RESP3) behind the ioredis-shaped
// calls loadstone's Redis parts make. Everything goes through `sendCommand` with string
// arguments: its replies to the commands used here (GET, SET, MGET, DEL, SCAN, EVAL, EVALSHA,
// PUBLISH) are the same in both protocols and both majors, where the camelCase methods differ
// (v5's `scanIterator` yields arrays, v6 replies with plain objects…), and numbers passed to a
// node-redis command break Lua scripts (rate-limiter-flexible#180).
import { EventEmitter } from 'node:events';
import { InvalidOptionError } from './errors/InvalidOptionError.js';

/** The part of a node-redis client (`createClient()`, v5 or v6) loadstone uses. */
export type NodeRedisClient = {
  /** Sends a raw command; every argument a string. */
  sendCommand(args: string[]): Promise<unknown>;
  /** A new client with the same options, not yet connected. */
  duplicate(): NodeRedisClient;
  /** Connects a client made by `duplicate()`. */
  connect(): Promise<unknown>;
  /** Subscribes; node-redis calls `listener(message, channel)`. */
  subscribe(channel: string, listener: (message: string, channel: string) => void): Promise<unknown>;
  /** Removes one subscription's listener. */
  unsubscribe(channel: string, listener?: (message: string, channel: string) => void): Promise<unknown>;
  /** `error`, `ready`, `end`, `reconnecting`. */
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  /** v6: closes after pending replies (v5: `quit()`). */
  close?(): Promise<unknown>;
  /** v5 (deprecated in v6). */
  quit?(): Promise<unknown>;
  /** v6: closes at once (v5: `disconnect()`). */
  destroy?(): unknown;
  /** v5. */
  disconnect?(): unknown;
  /** Whether the client is connected and ready for commands. */
  readonly isReady?: boolean;
};

/** The subscribing connection {@link NodeRedisAdapter.duplicate} opens, in ioredis's shape. */
export type NodeRedisSubscription = {
  /** `wait` until connected, then `connecting`, `ready`, `reconnecting` or `end`. */
  readonly status: string;
  /** Connects it. */
  connect(): Promise<unknown>;
  /** Subscribes to channels not yet subscribed. */
  subscribe(...channels: string[]): Promise<unknown>;
  /** Unsubscribes from channels. */
  unsubscribe(...channels: string[]): Promise<unknown>;
  /** `message` (`channel`, `message`, ioredis's order), `ready`, `close`, `error`. */
  on(event: 'message' | 'ready' | 'close' | 'error', listener: (...args: unknown[]) => void): unknown;
  /** Removes a listener added with `on`. */
  removeListener(
    event: 'message' | 'ready' | 'close' | 'error',
    listener: (...args: unknown[]) => void,
  ): unknown;
  /** Closes it after pending replies. */
  quit(): Promise<unknown>;
  /** Closes it at once. */
  disconnect(): void;
};

/** What {@link fromNodeRedis} returns: the ioredis-shaped calls loadstone's Redis parts make. */
export type NodeRedisAdapter = {
  /** `GET key`. */
  get(key: string): Promise<string | null>;
  /** `SET key value …options` (`PX ms`, `NX`). */
  set(key: string, value: string, ...options: (string | number)[]): Promise<'OK' | null>;
  /** `MGET key…`. */
  mget(keys: string[]): Promise<(string | null)[]>;
  /** `DEL key…`. */
  del(...keys: string[]): Promise<number>;
  /** `SCAN cursor …options`, as `[cursor, keys]`. */
  scan(cursor: string, ...options: (string | number)[]): Promise<[string, string[]]>;
  /** `EVAL script numkeys key… arg…`. */
  eval(script: string, numKeys: number, ...keysAndArgs: (string | number)[]): Promise<unknown>;
  /** `EVALSHA sha numkeys key… arg…`. */
  evalsha(sha: string, numKeys: number, ...keysAndArgs: (string | number)[]): Promise<unknown>;
  /** `PUBLISH channel message`. */
  publish(channel: string, message: string): Promise<number>;
  /** A subscribing connection of loadstone's own (`client.duplicate()`), with an `error` listener. */
  duplicate(): NodeRedisSubscription;
  /** `ready` while node-redis is ready, `connecting` otherwise. */
  readonly status: string;
  /** `true` for a cluster client (`createCluster()`). */
  readonly isCluster?: boolean;
  /** A cluster's masters, each its own adapter (for `SCAN`). */
  nodes?(role: 'master'): NodeRedisAdapter[];
};

/**
 * The part of a node-redis cluster client (`createCluster()`) loadstone uses: commands are routed
 * by their first key.
 */
export type NodeRedisClusterClient = Omit<NodeRedisClient, 'sendCommand' | 'duplicate'> & {
  /** Sends a raw command to the node that owns `firstKey` (any node without one). */
  sendCommand(
    firstKey: string | undefined,
    isReadonly: boolean | undefined,
    args: string[],
  ): Promise<unknown>;
  /** A new cluster client with the same options, not yet connected. */
  duplicate(): NodeRedisClusterClient;
  /** The master nodes, for commands that visit each (`SCAN`). */
  readonly masters: readonly unknown[];
  /** A master's own client. */
  nodeClient(node: never): Promise<{
    /** Sends a raw command to that node. */
    sendCommand(args: string[]): Promise<unknown>;
  }>;
};

const args = (values: readonly (string | number)[]): string[] => values.map(String);

/**
 * A subscribing connection of its own, made by `duplicate()`, shaped as loadstone's subscribers
 * expect (ioredis's events and `status`). node-redis restores subscriptions after a reconnection
 * by itself, so subscribing again to a channel already held is a no-op here, never a second
 * listener; and the connection always has an `error` listener, since node-redis without one
 * throws the error and the process dies (node-redis#2302).
 */
class NodeRedisSubscriber extends EventEmitter implements NodeRedisSubscription {
  readonly #client: NodeRedisClient;
  readonly #channels = new Set<string>();
  status = 'wait';

  constructor(client: NodeRedisClient) {
    super();
    this.#client = client;
    client.on('error', (error) => {
      if (this.listenerCount('error') > 0) this.emit('error', error);
    });
    client.on('ready', () => {
      this.status = 'ready';
      this.emit('ready');
    });
    client.on('reconnecting', () => this.#down('reconnecting'));
    client.on('end', () => this.#down('end'));
  }

  connect(): Promise<unknown> {
    this.status = 'connecting';
    return this.#client.connect().then((connected) => {
      // A cluster client emits no `ready` of its own: connected is ready.
      if (this.status === 'connecting') {
        this.status = 'ready';
        this.emit('ready');
      }
      return connected;
    });
  }

  async subscribe(...channels: string[]): Promise<unknown> {
    for (const channel of channels) {
      if (this.#channels.has(channel)) continue;
      await this.#client.subscribe(channel, this.#onMessage);
      this.#channels.add(channel);
    }
    return this.#channels.size;
  }

  async unsubscribe(...channels: string[]): Promise<unknown> {
    for (const channel of channels) {
      if (!this.#channels.delete(channel)) continue;
      await this.#client.unsubscribe(channel, this.#onMessage);
    }
    return this.#channels.size;
  }

  quit(): Promise<unknown> {
    const never = this.status === 'wait' || this.status === 'end';
    this.status = 'end';
    if (never) return Promise.resolve(); // node-redis throws when closing a client never opened
    const client = this.#client;
    return client.close !== undefined ? client.close() : (client.quit?.() ?? Promise.resolve());
  }

  disconnect(): void {
    const never = this.status === 'wait' || this.status === 'end';
    this.status = 'end';
    if (never) return;
    const client = this.#client;
    try {
      if (client.destroy !== undefined) client.destroy();
      else client.disconnect?.();
    } catch {
      // Already closed (v5 throws ClientClosedError): nothing left to let go of.
    }
  }

  #down(status: string): void {
    const was = this.status;
    this.status = status;
    if (was === 'ready') this.emit('close');
  }

  readonly #onMessage = (message: string, channel: string): void => {
    this.emit('message', channel, message); // ioredis's order: channel first
  };
}

/**
 * Wraps a node-redis client (the official `redis` package, v5 or v6, RESP2 or RESP3) so that
 * every Redis part of loadstone takes it where it takes an ioredis client: `RedisTier`,
 * `RedisLock`, `RedisBus`, `RedisRateLimitStore`, `RedisJobStore`, `Mailbox`.
 *
 * Connect the client yourself (`await client.connect()`) and give it an `error` listener, as
 * node-redis asks; loadstone never closes it. Scripts run by `EVALSHA`, sent again from source
 * when Redis answers `NOSCRIPT`; every argument is sent as a string. Pub/sub runs on a connection
 * of loadstone's own (`client.duplicate()`), with an `error` listener of its own, closed by the
 * part that opened it. A cluster client (`createCluster()`) works too: each command goes to the
 * node owning its first key (a script's first key), and `SCAN` visits every master.
 *
 * @param client - a connected node-redis client, or cluster client.
 * @returns the client in the shape loadstone's Redis parts call.
 * @throws `InvalidOptionError` (`ERR_LOADSTONE_INVALID_OPTION`) when `client` is not a node-redis
 *   client (no `sendCommand` and `duplicate`).
 *
 * @example
 * {@includeCode ../../test/integration/node-redis.test.ts#fromNodeRedis}
 */
export function fromNodeRedis(client: NodeRedisClient | NodeRedisClusterClient): NodeRedisAdapter {
  if (typeof client?.sendCommand !== 'function' || typeof client.duplicate !== 'function') {
    throw new InvalidOptionError('client', 'a node-redis client (with sendCommand and duplicate)', client);
  }
  const duplicate = () => new NodeRedisSubscriber(client.duplicate() as NodeRedisClient);
  const status = () => (client.isReady === false ? 'connecting' : 'ready');
  if (!isCluster(client)) {
    return adapter((values) => client.sendCommand(args(values)), duplicate, status);
  }
  // A cluster routes each command by its first key; SCAN visits each master through its own client.
  const routed = adapter(
    (values, firstKey, readonly) => client.sendCommand(firstKey, readonly, args(values)),
    duplicate,
    status,
  );
  const node = (master: unknown): NodeRedisAdapter =>
    adapter(
      async (values) => (await client.nodeClient(master as never)).sendCommand(args(values)),
      () => {
        throw new Error('a cluster node is not duplicated: duplicate the cluster');
      },
      status,
    );
  return Object.assign(routed, { isCluster: true, nodes: () => client.masters.map(node) });
}

function isCluster(client: NodeRedisClient | NodeRedisClusterClient): client is NodeRedisClusterClient {
  const cluster = client as Partial<NodeRedisClusterClient>;
  return Array.isArray(cluster.masters) && typeof cluster.nodeClient === 'function';
}

// biome-ignore lint/suspicious/noExplicitAny: NodeRedisAdapter states each command's reply type
type Reply = any;
/** Sends a command; a cluster routes it by `firstKey` and may read it from a replica if `readonly`. */
type Send = (
  values: readonly (string | number)[],
  firstKey: string | undefined,
  readonly: boolean,
) => Promise<Reply>;

function adapter(send: Send, duplicate: () => NodeRedisSubscription, status: () => string): NodeRedisAdapter {
  const scriptKey = (numKeys: number, keysAndArgs: readonly (string | number)[]) =>
    numKeys > 0 ? String(keysAndArgs[0]) : undefined;
  return {
    get: (key) => send(['GET', key], key, true),
    set: (key, value, ...options) => send(['SET', key, value, ...options], key, false),
    mget: (keys) => send(['MGET', ...keys], keys[0], true),
    del: (...keys) => send(['DEL', ...keys], keys[0], false),
    scan: (cursor, ...options) => send(['SCAN', cursor, ...options], undefined, true),
    eval: (script, numKeys, ...rest) =>
      send(['EVAL', script, numKeys, ...rest], scriptKey(numKeys, rest), false),
    evalsha: (sha, numKeys, ...rest) =>
      send(['EVALSHA', sha, numKeys, ...rest], scriptKey(numKeys, rest), false),
    // Routed by the channel's slot: one channel's messages all leave from one node, in order.
    publish: (channel, message) => send(['PUBLISH', channel, message], channel, false),
    duplicate,
    get status(): string {
      return status();
    },
  };
}
