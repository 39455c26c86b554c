// TieredCache over a real redis-server: two tiers, the Redis lock, and Redis dying mid-run.
import type { Redis, RedisOptions } from 'ioredis';
import { afterAll, expect, it, vi } from 'vitest';
import {
  MemoryTier,
  type RedisCacheClient,
  RedisLock,
  RedisTier,
  TieredCache,
} from '../../src/cache/index.js';
import { PARTS_CONNECTION_NAME, partsClient, partsClientKind } from '../helpers/partsClient.js';
import { describeWithRedis, startRedis } from '../helpers/redis.js';

describeWithRedis('TieredCache with Redis', (getRedis) => {
  const clients: Redis[] = [];
  const connect = (url = getRedis().url, options: RedisOptions = {}): Redis => {
    const client = partsClient(url, options);
    clients.push(client);
    return client;
  };
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.quit().catch(() => c.disconnect())));
  });

  it('reads through memory then Redis, back-fills memory, and clears only its own prefix', async () => {
    const redis = connect();
    // #region twoTier
    const memory = new MemoryTier({ maxEntries: 10_000 });
    const cache = new TieredCache<{ id: number; seen: Date; avatar: Buffer }>({
      tiers: [memory, new RedisTier({ client: redis, prefix: 'app:cache:' })],
      defaultTtlMs: 60_000,
    });
    await cache.set('user:1', { id: 1, seen: new Date(0), avatar: Buffer.from('png') });
    memory.clear(); // as in another process: only Redis has it now
    const user = await cache.get('user:1'); // read from Redis (Date and Buffer intact), back-filled into memory
    // #endregion twoTier
    expect(user?.seen).toBeInstanceOf(Date);
    expect(user?.seen.getTime()).toBe(0);
    expect(Buffer.isBuffer(user?.avatar)).toBe(true);
    expect(memory.get('user:1')).toBeDefined();
    expect(await redis.exists('app:cache:user:1')).toBe(1);
    const ttl = await redis.pttl('app:cache:user:1');
    expect(ttl).toBeGreaterThan(50_000);
    expect(ttl).toBeLessThanOrEqual(60_000);

    await cache.setMany([
      { key: 'a', value: { id: 2, seen: new Date(2), avatar: Buffer.alloc(0) } },
      { key: 'b', value: { id: 3, seen: new Date(3), avatar: Buffer.alloc(0) } },
    ]);
    memory.clear();
    const many = await cache.getMany(['a', 'nope', 'b']);
    expect(many.map((v) => v?.id)).toEqual([2, undefined, 3]);
    expect(cache.stats().tiers[1]?.hits).toBeGreaterThanOrEqual(3);

    await redis.set('other:keep', '1');
    await cache.clear();
    expect(await redis.exists('app:cache:user:1', 'app:cache:a', 'app:cache:b')).toBe(0);
    expect(await redis.get('other:keep')).toBe('1');
    await cache.close();
  });

  it(`hands the parts ${partsClientKind} in this project`, async () => {
    const redis = connect();
    await new RedisTier({ client: redis, prefix: 'which:' }).get('k');
    const connections = String(await redis.call('CLIENT', 'LIST')).split('\n');
    const named = connections.filter((line) => line.includes(` name=${PARTS_CONNECTION_NAME} `));
    // CLIENT LIST's `cmd` is each connection's last command: the tier's GET came through node-redis.
    expect(named.some((line) => line.includes(' cmd=get '))).toBe(partsClientKind === 'node-redis');
  });

  /** The Redis client behind a RedisCacheClient that records each command the tier sends. */
  function recorded(redis: Redis): RedisCacheClient & { commands: string[] } {
    const commands: string[] = [];
    const sent = <T>(command: string, reply: Promise<T>): Promise<T> => {
      commands.push(command);
      return reply;
    };
    return {
      commands,
      isCluster: false,
      get: (key) => sent(`GET ${key}`, redis.get(key)),
      set: (key, value, px, ms) => sent(`SET ${key} PX ${ms}`, redis.set(key, value, px, ms)),
      mget: (keys) => sent(`MGET ${keys.join(' ')}`, redis.mget(keys)),
      del: (...keys) => sent(`DEL ${keys.join(' ')}`, redis.del(...keys)),
      scan: (cursor, match, pattern, count, n) =>
        sent(`SCAN ${cursor} ${match} ${pattern}`, redis.scan(cursor, match, pattern, count, n)),
      eval: (script, numKeys, ...args) => sent('EVAL', redis.eval(script, numKeys, ...args)),
    };
  }

  it('stores entries under its prefix with PX in whole ms (at least 1), one command per call, MGET for many keys', async () => {
    const client = recorded(connect());
    const tier = new RedisTier({ client, prefix: 'px:' });
    const times = { createdAt: 1, freshUntil: 2, staleUntil: 3 };
    await tier.set('a', { value: { at: new Date(5) }, tags: ['t'], ...times }, 1234.5);
    await tier.set('missing', { value: undefined, ...times }, 60_000);
    await tier.set('zero', { value: 0, ...times }, 0); // below the contract's 1 ms: stored for 1 ms, not refused by Redis
    expect(client.commands).toEqual(['SET px:a PX 1235', 'SET px:missing PX 60000', 'SET px:zero PX 1']);
    const a = await tier.get('a');
    expect(a).toEqual({ value: { at: new Date(5) }, tags: ['t'], ...times });
    expect(await tier.get('missing')).toEqual({ value: undefined, ...times });
    expect(await tier.get('never')).toBeUndefined();
    client.commands.length = 0;
    expect(await tier.getMany([])).toEqual([]);
    const many = await tier.getMany(['a', 'zz', 'missing']);
    expect(many.map((e) => e?.value)).toEqual([{ at: new Date(5) }, undefined, undefined]);
    expect(many[2]).toEqual({ value: undefined, ...times });
    expect(client.commands).toEqual(['MGET px:a px:zz px:missing']);
    await tier.delete([]);
    await tier.delete(['a', 'zz']);
    await tier.delete(['missing']);
    expect(client.commands.slice(1)).toEqual(['DEL px:a px:zz', 'DEL px:missing']);
    expect(await connect().exists('px:a', 'px:missing')).toBe(0);
  });

  it('keeps a negative entry and tags through a serializer that writes undefined as null', async () => {
    // msgpack and others have no undefined: the tier marks a negative entry rather than trusting
    // the serializer to keep `value: undefined` apart from `value: null`.
    const nulling = {
      serialize: (value: unknown) => JSON.stringify(value, (_key, v) => (v === undefined ? null : v)),
      deserialize: (text: string) => JSON.parse(text) as unknown,
    };
    const tier = new RedisTier({ client: connect(), prefix: 'nulling:', serializer: nulling });
    const times = { createdAt: 1, freshUntil: 2, staleUntil: 3 };
    await tier.set('negative', { value: undefined, ...times }, 60_000);
    await tier.set('null', { value: null, ...times }, 60_000);
    await tier.set('untagged', { value: 1, tags: undefined, ...times }, 60_000);
    expect(await tier.get('negative')).toStrictEqual({ value: undefined, ...times });
    expect(await tier.get('null')).toStrictEqual({ value: null, ...times });
    expect(await tier.get('untagged')).toStrictEqual({ value: 1, ...times });
  });

  it('clears a prefix with nothing under it', async () => {
    const tier = new RedisTier({ client: connect(), prefix: 'nothing-here:' });
    await expect(tier.clear()).resolves.toBeUndefined();
  });

  it('RedisLock: one holder at a time, released only by its own token, under its prefix with a TTL', async () => {
    const redis = connect();
    const lock = new RedisLock({ client: redis });
    const token = await lock.acquire('k', 5_000);
    expect(token).toEqual(expect.any(String));
    expect(await redis.get('loadstone:cache:lock:k')).toBe(token);
    const ttl = await redis.pttl('loadstone:cache:lock:k');
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(5_000);
    expect(await lock.acquire('k', 5_000)).toBeUndefined();
    await lock.release('k', 'not-the-token');
    expect(await redis.get('loadstone:cache:lock:k')).toBe(token);
    await lock.release('k', token as string);
    expect(await redis.exists('loadstone:cache:lock:k')).toBe(0);
    const next = await lock.acquire('k', 0.5); // under 1 ms: held for 1 ms, not refused by Redis
    expect(next).toEqual(expect.any(String));
    expect(next).not.toBe(token);

    const own = new RedisLock({ client: redis, prefix: 'mine:' });
    const mine = await own.acquire('k', 5_000);
    expect(await redis.get('mine:k')).toBe(mine);
    await own.release('k', mine as string);
  });

  it('clears only keys under a prefix full of glob characters, matching it literally', async () => {
    const redis = connect();
    const prefix = 'glob*?[ab]\\:'; // every Redis glob metacharacter: * ? [ ] and \
    const tier = new RedisTier({ client: redis, prefix });
    const entry = { value: 1, createdAt: 0, freshUntil: 60_000, staleUntil: 60_000 };
    await tier.set('x', entry, 60_000);
    await tier.set('y*', entry, 60_000);
    expect(await redis.exists(`${prefix}x`, `${prefix}y*`)).toBe(2);
    // None of these starts with the prefix, but each matches the SCAN pattern if the prefix is
    // not escaped (`glob*?[ab]\:*`), or if one of * ? [] \ is left unescaped.
    const strangers = [
      'globZa:k', // nothing escaped
      'glob-long-Zb:k', // nothing escaped
      'globZZ?[ab]\\:k', // * unescaped
      'glob*Z[ab]\\:k', // ? unescaped
      'glob*?a\\:k', // [ ] unescaped
      'glob*?[ab]:k', // \ unescaped (it then escapes the colon)
    ];
    for (const key of strangers) await redis.set(key, 'keep');
    await tier.clear();
    expect(await redis.exists(`${prefix}x`, `${prefix}y*`)).toBe(0);
    expect(await redis.mget(...strangers)).toEqual(strangers.map(() => 'keep'));
    await redis.del(...strangers);
  });

  it('runs the loader once for 1 000 concurrent misses in one process', async () => {
    const cache = new TieredCache({
      tierTimeoutMs: 5_000, // generous: a loaded test machine must not trip the breaker
      tiers: [new MemoryTier({ maxEntries: 100 }), new RedisTier({ client: connect(), prefix: 'stampede:' })],
    });
    let calls = 0;
    const loader = async () => {
      calls++;
      await new Promise((resolve) => setTimeout(resolve, 20));
      return 'loaded';
    };
    const values = await Promise.all(Array.from({ length: 1000 }, () => cache.getOrSet('hot', loader)));
    expect(calls).toBe(1);
    expect(new Set(values)).toEqual(new Set(['loaded']));
    await cache.close();
  });

  it('with a lock, loads once across caches that share Redis (as separate processes would)', async () => {
    const redis = connect();
    // #region lock
    const lock = new RedisLock({ client: redis });
    const makeCache = () =>
      new TieredCache<string>({
        tierTimeoutMs: 5_000, // generous: a loaded test machine must not trip the breaker
        tiers: [new MemoryTier({ maxEntries: 1_000 }), new RedisTier({ client: redis, prefix: 'locked:' })],
        lock, // one loader run per key across every process using this Redis
        lockTtlMs: 5_000,
      });
    const [a, b] = [makeCache(), makeCache()];
    // #endregion lock
    let calls = 0;
    const loader = async () => {
      calls++;
      await new Promise((resolve) => setTimeout(resolve, 100));
      return 'once';
    };
    const values = await Promise.all([
      ...Array.from({ length: 100 }, () => a.getOrSet('k', loader)),
      ...Array.from({ length: 100 }, () => b.getOrSet('k', loader)),
    ]);
    expect(calls).toBe(1);
    expect(new Set(values)).toEqual(new Set(['once']));
    expect(a.stats().lockWaits + b.stats().lockWaits).toBe(1);
    await Promise.all([a.close(), b.close()]);
  });

  it('takes over the lock when its holder died without releasing it', async () => {
    const redis = connect();
    const lock = new RedisLock({ client: redis });
    // A "dead" holder: took the lock for 300 ms and will never release it or write a value.
    expect(await lock.acquire('orphan', 300)).toEqual(expect.any(String));
    const cache = new TieredCache<string>({
      tierTimeoutMs: 5_000, // generous: a loaded test machine must not trip the breaker
      tiers: [new MemoryTier({ maxEntries: 10 }), new RedisTier({ client: redis, prefix: 'orphan:' })],
      lock,
      lockWaitMs: 30_000,
      lockPollMs: 10,
    });
    const loader = vi.fn(async () => 'mine');
    expect(await cache.getOrSet('orphan', loader)).toBe('mine');
    expect(loader).toHaveBeenCalledTimes(1);
    expect(cache.stats().lockWaits).toBe(1);
    expect(cache.stats().locksAcquired).toBe(1);
    await cache.close();
  });

  it('keeps answering while Redis is killed, skips it, and uses it again once restarted', async () => {
    const server = await startRedis();
    if (server === undefined) throw new Error('redis-server vanished');
    const redis = connect(server.url, { maxRetriesPerRequest: 1, retryStrategy: () => 50 });
    redis.on('error', () => {}); // connection errors while it is down are expected
    const cache = new TieredCache<number>({
      tiers: [new MemoryTier({ maxEntries: 1_000 }), new RedisTier({ client: redis, prefix: 'kill:' })],
      tierTimeoutMs: 1_000,
      tierFailureThreshold: 2,
      tierOpenDurationMs: 200,
    });
    let rejected = 0;
    let n = 0;
    const round = async () => {
      const key = `k${n++ % 20}`;
      const calls = [
        cache.getOrSet(key, async () => n),
        cache.get(key),
        cache.set(`s${n % 5}`, n),
        cache.has(key),
        cache.getMany([key, 'x']),
      ];
      for (const result of await Promise.allSettled(calls)) if (result.status === 'rejected') rejected++;
    };
    for (let i = 0; i < 20; i++) await round();
    expect(cache.stats().tiers[1]?.state).toBe('closed');

    await server.stop();
    await vi.waitFor(
      async () => {
        await round();
        expect(cache.stats().tiers[1]?.state).toBe('open');
      },
      { timeout: 20_000, interval: 1 },
    );
    for (let i = 0; i < 20; i++) await round();
    const down = cache.stats().tiers[1];
    expect(down?.skipped).toBeGreaterThan(0);
    expect(down?.errors).toBeGreaterThan(0);
    expect((await cache.check()).status).toBe('degraded');

    const restarted = await startRedis({ port: server.port });
    try {
      await vi.waitFor(
        async () => {
          await round();
          expect(cache.stats().tiers[1]?.state).toBe('closed');
          await cache.set('after', 42);
          expect(await redis.get('kill:after')).toEqual(expect.stringContaining('42'));
        },
        { timeout: 30_000, interval: 20 },
      );
      expect((await cache.check()).status).toBe('healthy');
      expect(rejected).toBe(0);
    } finally {
      await cache.close();
      redis.disconnect();
      await restarted?.stop();
    }
  });
});
