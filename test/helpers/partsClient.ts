/**
 * The client a Redis suite hands to loadstone's parts, so the same suites run over both clients.
 *
 * - By default (the `integration` project) `partsClient(url, options)` is `new Redis(url, options)`.
 * - Under `LOADSTONE_TEST_REDIS_CLIENT=node-redis` (the `redis-node` project) it is an ioredis
 *   client whose calls that loadstone's parts make (`get`, `set`, `mget`, `del`, `scan`, `eval`,
 *   `evalsha`, `publish`, `duplicate`, `status`) go to `fromNodeRedis` over a node-redis 6 client
 *   (RESP3, its default) on the same server. The test's own inspection (`exists`, `pttl`,
 *   `pubsub`…) stays on ioredis, which node-redis's adapter does not pretend to be, and so does a
 *   routed call with a Buffer argument (parts send strings only). Closing it closes both.
 *
 * The ioredis options the suites use are carried over: `retryStrategy` as node-redis's
 * `reconnectStrategy` (`null` → no reconnection), `enableOfflineQueue: false` as
 * `disableOfflineQueue`. node-redis has no `maxRetriesPerRequest`: a command in flight when the
 * connection drops is rejected, as with `maxRetriesPerRequest: 0`.
 */
import { Redis, type RedisOptions } from 'ioredis';
import { createClient } from 'redis';
import { fromNodeRedis, type NodeRedisAdapter, type NodeRedisClient } from '../../src/core/index.js';

/** Which client the suites give loadstone's parts in this run. */
export const partsClientKind: 'ioredis' | 'node-redis' =
  process.env.LOADSTONE_TEST_REDIS_CLIENT === 'node-redis' ? 'node-redis' : 'ioredis';

/** `CLIENT SETNAME` of the node-redis connections, so a test can see the parts' commands on them. */
export const PARTS_CONNECTION_NAME = 'loadstone-parts-node-redis';

/** The adapter's members: what a part calls, answered by node-redis. */
const ROUTED = new Set(['get', 'set', 'del', 'scan', 'eval', 'evalsha', 'publish', 'duplicate']);

/** The node-redis clients opened in this test file, closed by {@link closePartsClients}. */
const opened = new Set<NodeRedisClient>();

/**
 * A client for loadstone's parts on the Redis at `url`: ioredis, or node-redis behind an ioredis
 * for inspection (see the file's comment).
 */
export function partsClient(url: string, options: RedisOptions = {}): Redis {
  const inspector = new Redis(url, options);
  if (partsClientKind === 'ioredis') return inspector;
  const nodeClient = openNodeRedis(url, options);
  const adapter = fromNodeRedis(nodeClient);
  return new Proxy(inspector, {
    get(target, property, receiver) {
      if (typeof property === 'string' && ROUTED.has(property)) {
        const member = adapter[property as keyof NodeRedisAdapter];
        if (typeof member !== 'function') return member;
        // Parts send strings only; a Buffer is a test writing raw bytes itself, which ioredis does.
        return (...values: unknown[]) =>
          values.some(Buffer.isBuffer)
            ? Reflect.get(target, property).apply(target, values)
            : (member as (...args: unknown[]) => unknown).apply(adapter, values);
      }
      // ioredis takes MGET's keys spread or as one array; the adapter takes the array.
      if (property === 'mget') return (...keys: (string | string[])[]) => adapter.mget(keys.flat());
      if (property === 'status') return adapter.status === 'ready' ? target.status : adapter.status;
      if (property === 'quit') return () => target.quit().finally(() => closeNodeRedis(nodeClient));
      if (property === 'disconnect') {
        return () => {
          target.disconnect();
          closeNodeRedis(nodeClient);
        };
      }
      const value = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** Closes every node-redis client this file opened (the `redis-node` project's setup file calls it). */
export function closePartsClients(): void {
  for (const client of [...opened]) closeNodeRedis(client);
}

function openNodeRedis(url: string, options: RedisOptions): NodeRedisClient {
  const retry = options.retryStrategy;
  const client = createClient({
    url,
    name: PARTS_CONNECTION_NAME,
    disableOfflineQueue: options.enableOfflineQueue === false,
    socket:
      typeof retry !== 'function'
        ? {}
        : { reconnectStrategy: (retries: number) => retry(retries + 1) ?? false },
  }) as unknown as NodeRedisClient;
  client.on('error', () => undefined); // the suites watch their ioredis client's errors
  opened.add(client);
  // Not awaited: node-redis queues commands from here until it is ready, as ioredis does.
  void client.connect().catch(() => undefined);
  return client;
}

function closeNodeRedis(client: NodeRedisClient): void {
  if (!opened.delete(client)) return;
  try {
    if (client.destroy !== undefined) client.destroy();
    else client.disconnect?.();
  } catch {
    // Already closed.
  }
}
