// ConnectionPoolManager with real ioredis clients against a real redis-server: contention,
// acquire timeouts, a connection killed by the server, adaptive sizing and leak reports.
import { once } from 'node:events';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { TimeoutError } from '../../src/core/errors/index.js';
import type { LeaseLeakedEvent, PoolResizedEvent } from '../../src/pool/index.js';
import { ConnectionPoolManager, type ConnectionPoolOptions, type PoolFactory } from '../../src/pool/index.js';
import { describeWithRedis } from '../helpers/redis.js';

describeWithRedis('ConnectionPoolManager against redis-server', (getRedis) => {
  let manager: ConnectionPoolManager;
  let admin: Redis;

  /** ioredis clients that never reconnect on their own: a dead one must be noticed and replaced. */
  const redisFactory = (): PoolFactory<Redis> => ({
    create: async () => {
      const client = new Redis(getRedis().url, {
        lazyConnect: true,
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
      });
      await client.connect();
      return client;
    },
    destroy: async (client) => {
      if (client.status === 'ready') await client.quit();
      else client.disconnect();
    },
    validate: async (client) => client.status === 'ready' && (await client.ping()) === 'PONG',
  });

  const register = (name: string, options: ConnectionPoolOptions) =>
    manager.register(name, redisFactory(), options);

  beforeEach(async () => {
    manager = new ConnectionPoolManager();
    admin = new Redis(getRedis().url);
    await admin.flushall();
  });

  afterEach(async () => {
    await manager.destroy();
    await admin.quit();
  });

  it('serves 100 concurrent borrowers on 10 connections', async () => {
    const pool = register('redis', { max: 10, acquireTimeoutMs: 30_000 });
    let inUse = 0;
    let peak = 0;
    const clientIds = new Set<number>();
    const borrowers = Array.from({ length: 100 }, (_, i) =>
      manager.use('redis', async (client: Redis) => {
        peak = Math.max(peak, ++inUse);
        clientIds.add((await client.client('ID')) as number);
        for (let k = 0; k < 5; k++) await client.incr('counter');
        await client.set(`borrower:${i}`, 'done');
        inUse--;
      }),
    );
    await Promise.all(borrowers);
    expect(await admin.get('counter')).toBe('500');
    expect(await admin.dbsize()).toBe(101);
    expect(peak).toBeLessThanOrEqual(10);
    expect(clientIds.size).toBeLessThanOrEqual(10);
    const stats = pool.stats();
    expect(stats).toMatchObject({ acquired: 100, borrowed: 0, waiting: 0, created: stats.size });
    expect(stats.size).toBeLessThanOrEqual(10);
    expect(stats.acquireWait.count).toBe(100);
    // Each redis client of the pool is a server-side connection (plus the admin one).
    const clients = ((await admin.client('LIST')) as string).trim().split('\n');
    expect(clients.length).toBe(stats.size + 1);
    await manager.close();
    expect(pool.stats().size).toBe(0);
  });

  it('rejects an acquire that waits past its timeout', async () => {
    const pool = register('redis', { max: 1, acquireTimeoutMs: 100 });
    const held = await pool.acquire();
    const error = await pool.acquire().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect(pool.stats().timedOut).toBe(1);
    pool.release(held);
    const again = await pool.acquire();
    expect(again).toBe(held);
    pool.release(again);
  });

  it('replaces a connection the server killed, after it fails validation', async () => {
    const pool = register('redis', { max: 2 });
    const destroyed: string[] = [];
    manager.on('resource:destroyed', (e) => destroyed.push(e.reason));
    const victim = await pool.acquire();
    const victimId = (await victim.client('ID')) as number;
    pool.release(victim);
    const ended = once(victim, 'end');
    expect(await admin.client('KILL', 'ID', String(victimId))).toBe(1);
    await ended;
    const replacement = await pool.acquire();
    expect(replacement).not.toBe(victim);
    expect(await replacement.ping()).toBe('PONG');
    expect((await replacement.client('ID')) as number).not.toBe(victimId);
    pool.release(replacement);
    expect(pool.stats()).toMatchObject({ validationFailures: 1, created: 2, size: 1 });
    expect(destroyed).toEqual(['invalid']);
  });

  it('grows max under a burst of borrowers and shrinks it back afterwards', async () => {
    const pool = register('redis', {
      max: 2,
      adaptive: { ceiling: 6, step: 2, intervalMs: 50, growAfter: 1, shrinkAfter: 2 },
      idleTimeoutMs: 0,
    });
    const resized: PoolResizedEvent[] = [];
    manager.on('pool:resized', (e) => resized.push(e));
    let destroyedEvents = 0;
    manager.on('resource:destroyed', () => destroyedEvents++);
    // Each borrower blocks on BLPOP until the test pushes its token: a burst that holds on.
    const grownToCeiling = new Promise<void>((resolve) => {
      const onResized = (e: PoolResizedEvent) => {
        if (e.toMax === 6) {
          manager.off('pool:resized', onResized);
          resolve();
        }
      };
      manager.on('pool:resized', onResized);
    });
    const borrowers = Array.from({ length: 12 }, (_, i) =>
      manager.use('redis', (client: Redis) => client.blpop(`token:${i}`, 0)),
    );
    await grownToCeiling;
    expect(pool.stats()).toMatchObject({ max: 6 });
    for (let i = 0; i < 12; i++) await admin.rpush(`token:${i}`, 'go');
    await Promise.all(borrowers);
    // Quiet now: cold intervals shrink max back to its floor.
    while (pool.stats().max > 2) await once(manager, 'pool:resized');
    expect(resized.map((e) => `${e.fromMax}->${e.toMax}:${e.reason}`)).toEqual([
      '2->4:grow',
      '4->6:grow',
      '6->4:shrink',
      '4->2:shrink',
    ]);
    expect(pool.stats().size).toBeLessThanOrEqual(2);
    // Retired connections have quit once their 'resource:destroyed' event is out.
    while (destroyedEvents < pool.stats().destroyed) await once(manager, 'resource:destroyed');
    const clients = ((await admin.client('LIST')) as string).trim().split('\n');
    expect(clients.length).toBe(pool.stats().size + 1);
  });

  it('reports a connection held past leakDetectionMs with the acquirer stack', async () => {
    const pool = register('redis', { leakDetectionMs: 100, maintenanceIntervalMs: 20 });
    const leaked = once(manager, 'lease:leaked') as Promise<[LeaseLeakedEvent]>;
    async function handlerThatForgetsToRelease() {
      const client = await pool.acquire();
      await client.ping();
      return client;
    }
    const client = await handlerThatForgetsToRelease();
    const [event] = await leaked;
    expect(event.pool).toBe('redis');
    expect(event.heldMs).toBeGreaterThanOrEqual(100);
    expect(event.stack).toContain('handlerThatForgetsToRelease');
    pool.release(client);
    expect(pool.stats().leaks).toBe(1);
  });
});
