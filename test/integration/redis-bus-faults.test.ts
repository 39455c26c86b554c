// RedisBus when its Redis connection misbehaves (issue #21), against real redis-server processes:
// on a fail-fast client (`enableOfflineQueue: false`, as docs/cache.md advises) it hears every
// message, also after redis-server restarts; an outage of its own connection is reported once,
// never as ioredis's "Unhandled error event"; and a message of its own that Redis lost does not
// hold up close() for closeTimeoutMs.
import type { Redis, RedisOptions } from 'ioredis';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { MemoryTier, RedisBus, TieredCache } from '../../src/cache/index.js';
import type { JsonValue } from '../../src/core/Json.js';
import { partsClient, partsClientKind } from '../helpers/partsClient.js';
import { type RedisServerHandle, redisAvailability, startRedis } from '../helpers/redis.js';
import { until } from '../helpers/until.js';

const availability = redisAvailability();
if (availability.mode === 'skip')
  console.warn('\n  redis-server NOT FOUND on PATH: SKIPPING the RedisBus fault tests.\n');
const describeFaults = availability.mode === 'skip' ? describe.skip : describe;

/** Long enough that a close() which waits for a lost message is obvious next to one that does not. */
const CLOSE_TIMEOUT_MS = 30_000;

describeFaults('RedisBus faults', () => {
  const servers: RedisServerHandle[] = [];
  const clients: Redis[] = [];
  const buses: RedisBus[] = [];
  afterAll(async () => {
    await Promise.all(buses.map((bus) => bus.destroy()));
    for (const client of clients) client.disconnect();
    await Promise.all(servers.map((server) => server.stop()));
  });

  const server = async (port?: number): Promise<RedisServerHandle> => {
    const started = await startRedis({ port });
    if (started === undefined) throw new Error('redis-server is required');
    servers.push(started);
    return started;
  };
  /** A connected client whose errors are collected (a client without a listener would print them). */
  const connect = async (url: string, options: RedisOptions = {}) => {
    const client = partsClient(url, options);
    const errors: unknown[] = [];
    client.on('error', (error) => errors.push(error));
    clients.push(client);
    await until(() => client.status === 'ready', 20_000);
    return { client, errors };
  };
  /** The client docs/cache.md and docs/resilience.md advise: fail at once while Redis is down. */
  const failFast = (url: string) =>
    connect(url, { enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => 50 });
  const bus = (options: ConstructorParameters<typeof RedisBus>[0]): RedisBus => {
    const created = new RedisBus(options);
    buses.push(created);
    return created;
  };

  it('hears every message on a fail-fast client (enableOfflineQueue: false)', async () => {
    const redis = await server();
    const { client } = await failFast(redis.url);
    const { client: other } = await connect(redis.url);
    const reported: unknown[] = [];
    const subscriber = bus({ client, onHandlerError: (error) => reported.push(error) });
    const received: JsonValue[] = [];
    subscriber.subscribe('events', (message) => received.push(message));
    await subscriber.ready();
    for (let i = 0; i < 10; i++) await other.publish('events', JSON.stringify(i));
    await until(() => received.length === 10, 5_000);
    expect(received).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(reported).toEqual([]);
  });

  it('carries TieredCache invalidations between processes on fail-fast clients', async () => {
    const redis = await server();
    const [writerBus, readerBus] = [
      bus({ client: (await failFast(redis.url)).client }),
      bus({ client: (await failFast(redis.url)).client }),
    ];
    const cache = (onBus: RedisBus) =>
      new TieredCache<string>({ tiers: [new MemoryTier({ maxEntries: 100 })], bus: onBus });
    const [writer, reader] = [cache(writerBus), cache(readerBus)];
    await Promise.all([writerBus.ready(), readerBus.ready()]);
    await reader.set('user:7', 'old');
    await writer.set('user:7', 'new');
    await until(() => reader.stats().invalidationsReceived === 1, 5_000);
    expect(await reader.get('user:7')).toBeUndefined();
    await Promise.all([writer.close(), reader.close()]);
  });

  it('subscribes again when redis-server restarts, also to channels subscribed while it was down', async () => {
    const first = await server();
    const { client } = await failFast(first.url);
    const subscriber = bus({ client, onHandlerError: () => undefined });
    const received: JsonValue[] = [];
    subscriber.subscribe('before', (message) => received.push(message));
    await subscriber.ready();
    await first.stop();
    await until(() => client.status !== 'ready', 20_000);
    subscriber.subscribe('during', (message) => received.push(message));
    await subscriber.ready(); // does not wait for Redis to come back
    const restarted = await server(first.port);
    const { client: other } = await connect(restarted.url);
    // The bus subscribes again once its own connection is back, which no event here tells: publish until heard.
    await until(
      async () => {
        await other.publish('before', '"b"');
        await other.publish('during', '"d"');
        return received.includes('b') && received.includes('d');
      },
      20_000,
      50,
    );
    await until(() => client.status === 'ready', 20_000);
    // Copies of "b" and "d" from the last rounds above may still be on their way: wait for "own" itself.
    await subscriber.publish('before', 'own');
    await until(() => received.includes('own'), 5_000);
    expect(received.filter((message) => message === 'own')).toEqual(['own']);
  });

  it('reports an outage of its connection once, and ioredis prints no unhandled error event', async () => {
    const redis = await server();
    const { client, errors } = await failFast(redis.url);
    const reported: (readonly [unknown, string])[] = [];
    const subscriber = bus({ client, onHandlerError: (error, channel) => reported.push([error, channel]) });
    subscriber.subscribe('events', () => undefined);
    await subscriber.ready();
    const consoleError = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      await redis.stop();
      // The bus's connection has the client's options: it fails as often (every 50 ms).
      await until(() => errors.length >= 20, 20_000);
      const unhandled = consoleError.mock.calls.filter((args) =>
        args.join(' ').includes('Unhandled error event'),
      );
      expect(unhandled).toEqual([]);
    } finally {
      consoleError.mockRestore();
    }
    expect(reported.map(([, channel]) => channel)).toEqual(['events']);
  });

  it('does not wait in close() for its own message lost with its dropped connection', async () => {
    const redis = await server();
    // The bus's connection waits 300 ms before reconnecting: a message published meanwhile is lost.
    const { client } = await connect(redis.url, { retryStrategy: () => 300 });
    const { client: admin } = await connect(redis.url);
    const subscriber = bus({ client, closeTimeoutMs: CLOSE_TIMEOUT_MS, onHandlerError: () => undefined });
    const received: JsonValue[] = [];
    subscriber.subscribe('events', (message) => received.push(message));
    await subscriber.publish('events', 'first');
    await until(() => received.length === 1, 5_000);
    expect(await admin.client('KILL', 'TYPE', 'pubsub')).toBe(1);
    await subscriber.publish('events', 'lost');
    const started = Date.now();
    await subscriber.close();
    expect(Date.now() - started).toBeLessThan(CLOSE_TIMEOUT_MS / 3);
    // node-redis reconnects at once after a drop (its reconnectStrategy is asked from the second
    // attempt on), so there 'lost' may arrive after all; close() must not wait for it either way.
    if (partsClientKind === 'ioredis') expect(received).toEqual(['first']);
    else expect(received.slice(0, 1)).toEqual(['first']);
  });

  it('does not wait in close() for its own message lost while its connection stayed up', async () => {
    const redis = await server();
    const { client } = await connect(redis.url);
    const { client: connection } = await connect(redis.url);
    const subscriber = bus({
      client,
      subscriber: connection,
      closeTimeoutMs: CLOSE_TIMEOUT_MS,
      onHandlerError: () => undefined,
    });
    const received: JsonValue[] = [];
    subscriber.subscribe('events', (message) => received.push(message));
    await subscriber.ready();
    // Behind the bus's back, so no drop explains the loss: Redis delivers 'lost' to nobody.
    await connection.unsubscribe('events');
    await subscriber.publish('events', 'lost');
    await connection.subscribe('events');
    await subscriber.publish('events', 'after');
    await until(() => received.length === 1, 5_000);
    const started = Date.now();
    await subscriber.close();
    expect(Date.now() - started).toBeLessThan(CLOSE_TIMEOUT_MS / 3);
    expect(received).toEqual(['after']);
  });
  it('bounds publish on a frozen Redis by commandTimeoutMs, and refuses a bad one', async () => {
    const redis = await server();
    const { client } = await connect(redis.url);
    const publisher = bus({ client, commandTimeoutMs: 300, onHandlerError: () => undefined });
    await publisher.publish('frozen', 'before');
    process.kill(redis.pid, 'SIGSTOP');
    try {
      // Without the bound the publish waits for Redis to thaw; 10 s stands for "for ever" here.
      const outcome = await Promise.race([
        publisher.publish('frozen', 'during').then(
          () => 'published',
          (error: unknown) => error,
        ),
        new Promise((resolve) => setTimeout(() => resolve('still waiting'), 10_000).unref()),
      ]);
      expect(outcome).toMatchObject({ code: 'ERR_LOADSTONE_TIMEOUT', timeoutMs: 300 });
    } finally {
      process.kill(redis.pid, 'SIGCONT');
    }
    for (const commandTimeoutMs of [0, 1.5, 2 ** 31, '100']) {
      expect(() => new RedisBus({ client, commandTimeoutMs: commandTimeoutMs as never })).toThrow(
        expect.objectContaining({ code: 'ERR_LOADSTONE_INVALID_OPTION', option: 'options.commandTimeoutMs' }),
      );
    }
  });
});
