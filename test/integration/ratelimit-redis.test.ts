// RedisRateLimitStore against a real redis-server (test/helpers/redis.ts): same decisions as the
// memory store, cluster-safe keys with TTLs, and both failure modes while Redis is down, with
// recovery once a server is back on the same port. No Redis mocks.
import { once } from 'node:events';
import fc from 'fast-check';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { MemoryRateLimitStore } from '../../src/resilience/MemoryRateLimitStore.js';
import { RateLimiter } from '../../src/resilience/RateLimiter.js';
import type { RateLimiterOptions } from '../../src/resilience/RateLimiterOptions.js';
import { RedisRateLimitStore, type RedisScriptClient } from '../../src/resilience/RedisRateLimitStore.js';
import { decideScript } from '../../src/resilience/RedisRateLimitStoreScripts.js';
import { SlowDown } from '../../src/resilience/SlowDown.js';
import { FakeClock } from '../../src/testing/FakeClock.js';
import { partsClient } from '../helpers/partsClient.js';
import { describeWithRedis, type RedisServerHandle, startRedis } from '../helpers/redis.js';

/** The scripts' time base: Unix seconds subtracted from `TIME` (see RedisRateLimitStoreScripts.ts). */
const TIME_BASE_S = 1_700_000_000;

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown): void => {
  unhandled.push(reason);
};
beforeAll(() => {
  process.on('unhandledRejection', onUnhandled);
});
afterAll(() => {
  process.off('unhandledRejection', onUnhandled);
});

describeWithRedis('RedisRateLimitStore', (getRedis) => {
  let redis: Redis;
  beforeAll(async () => {
    redis = partsClient(getRedis().url);
    await redis.ping();
  });
  afterAll(() => {
    redis.disconnect();
  });
  afterEach(async () => {
    await redis.flushall();
  });

  /** Redis's `TIME` in the scripts' ms scale, to drive the memory store's clock in step. */
  async function redisNowMs(): Promise<number> {
    const [s, us] = await redis.time();
    return (Number(s) - TIME_BASE_S) * 1000 + Number(us) / 1000;
  }

  const sequence = [1, 1, 2, 0, 1, 3, 1, 1, 6, 0, 1, 2, 1];
  const configs: [string, RateLimiterOptions][] = [
    ['gcra', { algorithm: 'gcra', limit: 5, periodMs: 60_000, burst: 7 }],
    ['gcra, non-integer interval', { algorithm: 'gcra', limit: 3, periodMs: 1000, burst: 4 }],
    ['sliding-window', { algorithm: 'sliding-window', limit: 8, periodMs: 3_600_000 }],
  ];
  for (const [name, options] of configs) {
    it(`${name}: gives the same decisions as the memory store for the same sequence`, async () => {
      const clock = new FakeClock();
      const memory = new RateLimiter({ ...options, clock, store: new MemoryRateLimitStore() });
      const shared = new RateLimiter({ ...options, store: new RedisRateLimitStore({ client: redis }) });
      let slackMs = 0;
      for (const cost of sequence) {
        // The memory limiter's clock follows Redis's, so both see the same elapsed time.
        const before = await redisNowMs();
        clock.set(Math.max(clock.now(), before));
        const [m, r] = [await memory.limit('k', { cost }), await shared.limit('k', { cost })];
        // The script ran somewhere between `before` and now by Redis's clock. A state set at one
        // step (GCRA's theoretical arrival time) carries that lag into later steps, so durations
        // may differ by the largest lag so far (plus rounding to whole ms), however loaded the
        // machine is.
        slackMs = Math.max(slackMs, (await redisNowMs()) - before + 1);
        expect({ cost, allowed: r.allowed, remaining: r.remaining, limit: r.limit }).toEqual({
          cost,
          allowed: m.allowed,
          remaining: m.remaining,
          limit: m.limit,
        });
        expect(r.degraded).toBe(false);
        expect(Math.abs(r.resetMs - m.resetMs)).toBeLessThanOrEqual(slackMs);
        if (Number.isFinite(m.retryAfterMs))
          expect(Math.abs(r.retryAfterMs - m.retryAfterMs)).toBeLessThanOrEqual(slackMs);
        else expect(r.retryAfterMs).toBe(Number.POSITIVE_INFINITY);
      }
    });
  }

  it('batches the decisions of one tick: same decisions, in order, as one by one', async () => {
    const store = new RedisRateLimitStore({ client: redis });
    const clock = new FakeClock();
    const memory = new MemoryRateLimitStore();
    const options = [
      { algorithm: 'gcra', limit: 5, periodMs: 60_000, burst: 7, keyPrefix: 'g:' },
      { algorithm: 'sliding-window', limit: 8, periodMs: 3_600_000, keyPrefix: 's:' },
    ] as const;
    const shared = options.map((o) => new RateLimiter({ ...o, store }));
    const local = options.map((o) => new RateLimiter({ ...o, store: memory, clock }));
    // 40 calls in one tick, interleaving two limiters (one store) and three keys.
    const calls = Array.from({ length: 40 }, (_, i) => ({ l: i % 2, key: `k${i % 3}`, cost: (i % 4) + 1 }));
    clock.set(await redisNowMs());
    const batched = await Promise.all(calls.map((c) => shared[c.l]?.limit(c.key, { cost: c.cost })));
    const expected = [];
    for (const c of calls) expected.push(await local[c.l]?.limit(c.key, { cost: c.cost }));
    expect(batched.map((r) => [r?.allowed, r?.remaining, r?.limit, r?.degraded])).toEqual(
      expected.map((r) => [r?.allowed, r?.remaining, r?.limit, false]),
    );
    expect(batched.some((r) => r?.allowed)).toBe(true);
    expect(batched.some((r) => r?.allowed === false)).toBe(true);
  });

  it('property: any batch decides as the memory store would, one call after another', async () => {
    const options = [
      { algorithm: 'gcra', limit: 5, periodMs: 60_000, burst: 7, keyPrefix: 'g:' },
      // Same prefix, another rule: both read and write one TAT, in Redis as in memory.
      { algorithm: 'gcra', limit: 3, periodMs: 1000, burst: 4, keyPrefix: 'g:' },
      { algorithm: 'sliding-window', limit: 8, periodMs: 3_600_000, keyPrefix: 's:' },
    ] as const;
    const call = fc.record({
      l: fc.integer({ min: 0, max: 2 }),
      key: fc.constantFrom('a', 'b', '__proto__'),
      cost: fc.integer({ min: 0, max: 9 }),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(call, { minLength: 1, maxLength: 60 }), async (calls) => {
        await redis.flushall();
        const store = new RedisRateLimitStore({ client: redis });
        const clock = new FakeClock();
        const memory = new MemoryRateLimitStore();
        const shared = options.map((o) => new RateLimiter({ ...o, store }));
        const local = options.map((o) => new RateLimiter({ ...o, store: memory, clock }));
        const before = await redisNowMs();
        clock.set(before);
        const batched = await Promise.all(calls.map((c) => shared[c.l]?.limit(c.key, { cost: c.cost })));
        const slackMs = (await redisNowMs()) - before + 1;
        for (const [i, c] of calls.entries()) {
          const m = await local[c.l]?.limit(c.key, { cost: c.cost });
          const r = batched[i];
          expect([r?.allowed, r?.remaining, r?.limit, r?.degraded]).toEqual([
            m?.allowed,
            m?.remaining,
            m?.limit,
            false,
          ]);
          expect(Math.abs((r?.resetMs ?? 0) - (m?.resetMs ?? 0))).toBeLessThanOrEqual(slackMs);
          if (Number.isFinite(m?.retryAfterMs)) {
            expect(Math.abs((r?.retryAfterMs ?? 0) - (m?.retryAfterMs ?? 0))).toBeLessThanOrEqual(slackMs);
          } else expect(r?.retryAfterMs).toBe(Number.POSITIVE_INFINITY);
        }
      }),
      { numRuns: 40 },
    );
  });

  it('gives any other client (a Cluster) one script call per decision, with the same answers', async () => {
    const client = {
      evalsha: (...args: Parameters<Redis['evalsha']>) => redis.evalsha(...args),
      eval: (...args: Parameters<Redis['eval']>) => redis.eval(...args),
    };
    const limiter = new RateLimiter({
      limit: 5,
      periodMs: 60_000,
      store: new RedisRateLimitStore({ client }),
    });
    await redis.config('RESETSTAT');
    const results = await Promise.all(Array.from({ length: 8 }, () => limiter.limit('k')));
    expect(results.map((r) => [r.allowed, r.remaining])).toEqual([
      ...[4, 3, 2, 1, 0].map((remaining) => [true, remaining]),
      ...[0, 0, 0].map((remaining) => [false, remaining]),
    ]);
    expect(await redis.info('commandstats')).toMatch(/cmdstat_evalsha:calls=8,/);
  });

  /**
   * The test's Redis behind a client that records each script call (its key count and arguments)
   * and can answer `EVALSHA` itself: `isCluster: false` as an ioredis `Redis` reports it.
   */
  function recordingClient(evalsha?: (...args: unknown[]) => Promise<unknown>) {
    const calls: { command: 'evalsha' | 'eval'; numKeys: number; args: (string | number)[] }[] = [];
    const client = {
      isCluster: false,
      evalsha: (sha: string, numKeys: number, ...args: (string | number)[]) => {
        calls.push({ command: 'evalsha', numKeys, args });
        return evalsha ? evalsha(sha, numKeys, ...args) : redis.evalsha(sha, numKeys, ...args);
      },
      eval: (script: string, numKeys: number, ...args: (string | number)[]) => {
        calls.push({ command: 'eval', numKeys, args });
        return redis.eval(script, numKeys, ...args);
      },
    };
    return { client, calls };
  }

  it('sends an ioredis Redis client one script call per tick: its keys, index and cost each, every rule once', async () => {
    const store = new RedisRateLimitStore({ client: redis });
    await redis.config('RESETSTAT');
    const limiter = new RateLimiter({ limit: 5, periodMs: 60_000, store });
    await Promise.all(Array.from({ length: 8 }, () => limiter.limit('k')));
    expect(await redis.info('commandstats')).toMatch(/cmdstat_evalsha:calls=1,/);

    const { client, calls } = recordingClient();
    const recorded = new RedisRateLimitStore({ client });
    const gcra = new RateLimiter({ limit: 5, periodMs: 60_000, burst: 7, keyPrefix: 'g:', store: recorded });
    const window = new RateLimiter({
      algorithm: 'sliding-window',
      limit: 8,
      periodMs: 3_600_000,
      keyPrefix: 's:',
      store: recorded,
    });
    await Promise.all([gcra.limit('a', { cost: 2 }), window.limit('b'), gcra.limit('c', { cost: 0 })]);
    expect(calls).toEqual([
      {
        command: 'evalsha',
        numKeys: 3,
        args: [
          ...['{g:a}:gcra:f64', '{s:b}:sw:f64', '{g:c}:gcra:f64'],
          ...[1, 2, 2, 1, 1, 0],
          ...['g', '12000', '84000', expect.any(String)],
          ...['s', '8', '3600000', ''],
        ],
      },
    ]);
  });

  it('splits a tick of more than 512 decisions into script calls of 512, deciding each once', async () => {
    const { client, calls } = recordingClient();
    const limiter = new RateLimiter({
      limit: 10_000,
      periodMs: 3_600_000,
      algorithm: 'sliding-window',
      store: new RedisRateLimitStore({ client }),
    });
    // EVAL follows EVALSHA only when the script is not cached yet (NOSCRIPT).
    const sent = () => calls.filter((call) => call.command === 'evalsha').map((call) => call.numKeys);
    await redis.script('LOAD', decideScript.source);
    const exactly512 = await Promise.all(Array.from({ length: 512 }, () => limiter.limit('k')));
    expect(sent()).toEqual([512]);
    expect(exactly512.at(-1)).toMatchObject({ allowed: true, remaining: 10_000 - 512 });
    calls.length = 0;
    const results = await Promise.all(
      Array.from({ length: 1_100 }, (_, i) => limiter.limit(i % 2 === 0 ? 'k' : 'j')),
    );
    expect(sent()).toEqual([512, 512, 76]);
    expect(calls.map((call) => call.command)).not.toContain('eval');
    // Each decision made once, in the order asked: key k ends 512 + 550 down, j 550 down.
    expect(results.at(-2)).toMatchObject({ allowed: true, remaining: 10_000 - 512 - 550 });
    expect(results.at(-1)).toMatchObject({ allowed: true, remaining: 10_000 - 550 });
    expect(calls[2]?.args.slice(0, 2)).toEqual(['{loadstone:rl:k}:sw:f64', '{loadstone:rl:j}:sw:f64']);
  });

  /** A fail-closed limiter of 5 a minute on `client`, collecting the store errors it degrades on. */
  function failClosed(client: RedisScriptClient) {
    const errors: unknown[] = [];
    const limiter = new RateLimiter({
      limit: 5,
      periodMs: 60_000,
      store: new RedisRateLimitStore({ client }),
      onStoreError: 'fail-closed',
      onDegraded: (error) => errors.push(error),
    });
    return { limiter, errors };
  }

  it('rejects with the error EVALSHA failed with, falling back to EVAL only on NOSCRIPT', async () => {
    const busy = new Error('BUSY Redis is busy running a script');
    const { client, calls } = recordingClient(() => Promise.reject(busy));
    const { limiter, errors } = failClosed(client);
    const [a, b] = await Promise.all([limiter.limit('a'), limiter.limit('b')]);
    expect([a.allowed, a.degraded, b.allowed, b.degraded]).toEqual([false, true, false, true]);
    expect(errors).toEqual([busy, busy]);
    expect(calls.map((call) => call.command)).toEqual(['evalsha']);
  });

  it('rejects every decision of a call whose reply is not one the script gives', async () => {
    for (const reply of ['OK', [1, 4, 0, 0]]) {
      const { limiter, errors } = failClosed(recordingClient(() => Promise.resolve(reply)).client);
      const results = await Promise.all([limiter.limit('a'), limiter.limit('b')]);
      expect(results.map((r) => r.degraded)).toEqual([true, true]);
      expect(errors).toHaveLength(2);
      expect(String(errors[0])).toBe(
        `TypeError: unexpected rate-limit script reply: ${JSON.stringify(reply)}`,
      );
    }
  });

  it('slow-down: processes sharing a Redis share one count, and delays grow across them', async () => {
    const other = partsClient(getRedis().url);
    try {
      const options = { delayAfter: 3, periodMs: 60_000, delayStepMs: 100, maxDelayMs: 500 };
      const a = new SlowDown({ ...options, store: new RedisRateLimitStore({ client: redis }) });
      const b = new SlowDown({ ...options, store: new RedisRateLimitStore({ client: other }) });
      const results = [];
      for (let i = 0; i < 10; i++) results.push(await (i % 2 === 0 ? a : b).check('alice'));
      expect(results.map((r) => r.delayMs)).toEqual([0, 0, 0, 100, 200, 300, 400, 500, 500, 500]);
      expect(results.map((r) => r.used)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 8, 8]);
      expect(results.every((r) => !r.degraded)).toBe(true);
      // A tick's checks go in one script call, counted in order.
      const batch = await Promise.all(['bob', 'bob', 'bob', 'bob', 'bob'].map((k) => a.check(k)));
      expect(batch.map((r) => r.delayMs)).toEqual([0, 0, 0, 100, 200]);
    } finally {
      other.disconnect();
    }
  });

  for (const windowsBack of [1, 2]) {
    it(`sliding window: a state ${windowsBack} window(s) back counts as in memory`, async () => {
      const periodMs = 3_600_000;
      const options = { algorithm: 'sliding-window', limit: 10, periodMs, keyPrefix: 'p:' } as const;
      const clock = new FakeClock();
      const local = new RateLimiter({ ...options, clock, store: new MemoryRateLimitStore() });
      const shared = new RateLimiter({ ...options, store: new RedisRateLimitStore({ client: redis }) });
      const before = await redisNowMs();
      const window = Math.floor(before / periodMs) - windowsBack;
      // The script's state: window index, current and previous cost, as raw float64s.
      const state = Buffer.alloc(24);
      state.writeDoubleLE(window, 0);
      state.writeDoubleLE(8, 8);
      state.writeDoubleLE(0, 16);
      await redis.set('{p:k}:sw:f64', state, 'PX', 60_000);
      clock.set(window * periodMs + 1);
      await local.limit('k', { cost: 8 });
      clock.set(before);
      for (const cost of [1, 2, 1, 3, 0]) {
        const [m, r] = [await local.limit('k', { cost }), await shared.limit('k', { cost })];
        expect([r.allowed, r.remaining]).toEqual([m.allowed, m.remaining]);
        expect(Math.abs(r.resetMs - m.resetMs)).toBeLessThanOrEqual((await redisNowMs()) - before + 1);
      }
    });
  }

  it('fails only the decision whose key is broken within a batch, and falls back to EVAL', async () => {
    await redis.lpush('{x:bad}:sw:f64', 'not a number');
    const errors: unknown[] = [];
    const limiter = new RateLimiter({
      algorithm: 'sliding-window',
      limit: 2,
      periodMs: 60_000,
      keyPrefix: 'x:',
      store: new RedisRateLimitStore({ client: redis }),
      onStoreError: 'fail-closed',
      onDegraded: (error) => errors.push(error),
    });
    await redis.script('FLUSH');
    const [a, bad, b, c] = await Promise.all(['ok', 'bad', 'ok', 'ok'].map((k) => limiter.limit(k)));
    expect([a, b, c].map((r) => [r?.allowed, r?.remaining, r?.degraded])).toEqual([
      [true, 1, false],
      [true, 0, false],
      [false, 0, false],
    ]);
    expect(bad).toMatchObject({ allowed: false, degraded: true });
    expect(String(errors[0])).toMatch(/WRONGTYPE/);
    expect(errors).toHaveLength(1);
  });

  it('stores one hash-tagged key per limit, with a TTL, so it expires and clusters', async () => {
    const store = new RedisRateLimitStore({ client: redis });
    const gcra = new RateLimiter({ limit: 10, periodMs: 1000, store, keyPrefix: 'api:' });
    const sw = new RateLimiter({
      algorithm: 'sliding-window',
      limit: 10,
      periodMs: 1000,
      store,
      keyPrefix: 'api:',
    });
    await gcra.limit('user:1', { cost: 3 });
    await sw.limit('user:1');
    await gcra.limit('peek', { cost: 0 }); // reads write nothing
    expect((await redis.keys('*')).sort()).toEqual(['{api:user:1}:gcra:f64', '{api:user:1}:sw:f64']);
    const gcraTtl = await redis.pttl('{api:user:1}:gcra:f64');
    expect(gcraTtl).toBeGreaterThan(0);
    expect(gcraTtl).toBeLessThanOrEqual(300); // 3 × 100 ms until empty again
    const swTtl = await redis.pttl('{api:user:1}:sw:f64');
    expect(swTtl).toBeGreaterThan(1000);
    expect(swTtl).toBeLessThanOrEqual(2000);
    // Redis Cluster hashes only the tag between the first `{` and the next `}`: one tag, one slot.
    const tag = (key: string) => key.slice(key.indexOf('{') + 1, key.indexOf('}'));
    expect(tag('{api:user:1}:gcra:f64')).toBe('api:user:1');
    expect(tag('{api:user:1}:sw:f64')).toBe('api:user:1');
  });

  it('falls back to EVAL when the script cache is empty (NOSCRIPT)', async () => {
    const limiter = new RateLimiter({
      limit: 2,
      periodMs: 60_000,
      store: new RedisRateLimitStore({ client: redis }),
    });
    await redis.script('FLUSH');
    expect(await limiter.limit('k')).toMatchObject({ allowed: true, remaining: 1, degraded: false });
    await redis.script('FLUSH');
    expect(await limiter.limit('k')).toMatchObject({ allowed: true, remaining: 0, degraded: false });
    expect(await limiter.limit('k')).toMatchObject({ allowed: false, degraded: false });
  });

  it('fails open or closed while Redis is down, never rejects, and recovers when it is back', async () => {
    const first = (await startRedis()) as RedisServerHandle;
    let second: RedisServerHandle | undefined;
    // Reconnect quickly, keep the default offline queue: while down, commands wait and the
    // limiter's storeTimeoutMs is what bounds each call.
    const client = partsClient(first.url, { retryStrategy: () => 25, maxRetriesPerRequest: 2 });
    // The same, failing fast instead: commands are rejected at once while disconnected.
    const fastClient = partsClient(first.url, { retryStrategy: () => 25, enableOfflineQueue: false });
    // Connection errors are the client's own events; a real app logs them.
    const connectionErrors: unknown[] = [];
    client.on('error', (error) => connectionErrors.push(error));
    fastClient.on('error', (error) => connectionErrors.push(error));
    try {
      await Promise.all([client.ping(), once(fastClient, 'ready')]);
      const degradedKeys: string[] = [];
      const make = (c: Redis, onStoreError: 'fail-open' | 'fail-closed') =>
        new RateLimiter({
          limit: 100,
          periodMs: 60_000,
          store: new RedisRateLimitStore({ client: c }),
          onStoreError,
          storeTimeoutMs: 150,
          onDegraded: (_error, key) => degradedKeys.push(key),
        });
      const open = make(client, 'fail-open');
      const closed = make(client, 'fail-closed');
      const fastOpen = make(fastClient, 'fail-open');
      const fastClosed = make(fastClient, 'fail-closed');
      const all = [open, closed, fastOpen, fastClosed];

      for (const limiter of all) {
        expect(await limiter.limit('k')).toMatchObject({ allowed: true, degraded: false });
      }

      await first.stop();
      const whileDown = await Promise.all(all.flatMap((limiter) => [1, 2, 3].map(() => limiter.limit('k'))));
      const byMode = (i: number) => whileDown.slice(i * 3, i * 3 + 3);
      for (const i of [0, 2]) {
        for (const r of byMode(i)) expect(r).toMatchObject({ allowed: true, degraded: true, remaining: 100 });
      }
      for (const i of [1, 3]) {
        for (const r of byMode(i))
          expect(r).toMatchObject({ allowed: false, degraded: true, retryAfterMs: 1000 });
      }
      expect(degradedKeys).toHaveLength(12);
      expect(connectionErrors.length).toBeGreaterThan(0);

      // "Redis comes back": a new server on the same port (its script cache and data are empty).
      second = await startRedis({ port: first.port });
      await Promise.all([
        client.status === 'ready' ? undefined : once(client, 'ready'),
        fastClient.status === 'ready' ? undefined : once(fastClient, 'ready'),
      ]);
      for (const limiter of all) {
        const r = await limiter.limit('k2');
        expect(r).toMatchObject({ allowed: true, degraded: false });
      }
      expect(unhandled).toEqual([]);
    } finally {
      client.disconnect();
      fastClient.disconnect();
      await first.stop();
      await second?.stop();
    }
  });
});
