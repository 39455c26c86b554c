import { subscribe, tracingChannel, unsubscribe } from 'node:diagnostics_channel';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryTier, TieredCache } from '../cache/index.js';
import { JobQueue, JobWorker } from '../jobs/index.js';
import { ConnectionPoolManager } from '../pool/index.js';
import { FakeClock } from '../testing/index.js';
import { WorkerThreadPool } from '../threads/index.js';
import { type CacheLoadContext, diagnosticsChannels, type PoolAcquireContext } from './diagnostics.js';

const TASKS = fileURLToPath(new URL('../../test/fixtures/threads/tasks.mjs', import.meta.url));

type Event = [event: string, context: Record<string, unknown>];

/** Every event of one tracing channel, in order, until `stop()`. */
function record(name: string): { events: Event[]; stop(): void } {
  const events: Event[] = [];
  const on = (event: string) => (context: unknown) => events.push([event, { ...(context as object) }]);
  const handlers = {
    start: on('start'),
    end: on('end'),
    asyncStart: on('asyncStart'),
    asyncEnd: on('asyncEnd'),
    error: on('error'),
  };
  const channel = tracingChannel(name);
  channel.subscribe(handlers);
  return { events, stop: () => channel.unsubscribe(handlers) };
}

const stops: (() => unknown)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

describe('diagnostics channels', () => {
  it('traces a pool acquire with the pool’s name, and nothing without a subscriber', async () => {
    // #region diagnosticsChannels
    // A tracer subscribes by name; it needs nothing of loadstone but the names.
    const waits: [pool: string, ms: number][] = [];
    const started = new WeakMap<object, number>(); // one context object per acquire
    const onStart = (context: unknown) => started.set(context as object, performance.now());
    const onAsyncEnd = (context: unknown) => {
      const { pool } = context as PoolAcquireContext;
      waits.push([pool, performance.now() - (started.get(context as object) ?? 0)]);
    };
    subscribe(`tracing:${diagnosticsChannels.poolAcquire}:start`, onStart);
    subscribe(`tracing:${diagnosticsChannels.poolAcquire}:asyncEnd`, onAsyncEnd);
    // #endregion diagnosticsChannels
    const pools = new ConnectionPoolManager();
    stops.push(() => pools.close());
    const pool = pools.register('db', { create: async () => ({}), destroy: async () => {} }, { max: 1 });
    pool.release(await pool.acquire());
    unsubscribe(`tracing:${diagnosticsChannels.poolAcquire}:start`, onStart);
    unsubscribe(`tracing:${diagnosticsChannels.poolAcquire}:asyncEnd`, onAsyncEnd);
    expect(waits.map(([pool]) => pool)).toEqual(['db']);

    const { events, stop } = record(diagnosticsChannels.poolAcquire);
    const resource = await pool.acquire();
    stop();
    pool.release(resource);
    pool.release(await pool.acquire()); // unsubscribed: no event
    expect(events.map(([event, context]) => [event, context.pool, context.result === resource])).toEqual([
      ['start', 'db', false],
      ['end', 'db', false],
      ['asyncStart', 'db', true],
      ['asyncEnd', 'db', true],
    ]);
  });

  it('traces a failed acquire with its error', async () => {
    const pools = new ConnectionPoolManager();
    stops.push(() => pools.close());
    const pool = pools.register('broken', {
      create: async () => {
        throw new Error('no route to db');
      },
      destroy: async () => {},
    });
    const { events, stop } = record(diagnosticsChannels.poolAcquire);
    await expect(pool.acquire()).rejects.toThrow('no route to db');
    stop();
    expect(events.map(([event]) => event)).toEqual(['start', 'end', 'error', 'asyncStart', 'asyncEnd']);
    expect(String(events[2]?.[1].error)).toContain('no route to db');
  });

  it('traces cache loads, misses and refreshes apart, with the cache’s name and the key', async () => {
    const clock = new FakeClock();
    const cache = new TieredCache<string>({
      name: 'pages',
      tiers: [new MemoryTier({ maxEntries: 100 })],
      defaultTtlMs: 1_000,
      jitterRatio: 0,
      refreshAhead: 0.2,
      clock,
    });
    stops.push(() => cache.close());
    const { events, stop } = record(diagnosticsChannels.cacheLoad);
    expect(await cache.getOrSet('home', () => 'hello')).toBe('hello');
    expect(await cache.getOrSet('home', () => 'again')).toBe('hello'); // a hit: no load
    clock.advance(900); // in the last fifth of the TTL: served, and reloaded in the background
    expect(await cache.getOrSet('home', () => 'fresh')).toBe('hello');
    while (events.filter(([event]) => event === 'asyncEnd').length < 2)
      await new Promise((r) => setImmediate(r));
    await expect(
      cache.getOrSet('boom', () => {
        throw new Error('db down');
      }),
    ).rejects.toThrow();
    stop();
    const loads = events.filter(([event]) => event === 'asyncEnd').map(([, c]) => c as CacheLoadContext);
    expect(loads.map(({ cache: name, key, refresh, result }) => [name, key, refresh, result])).toEqual([
      ['pages', 'home', false, 'hello'],
      ['pages', 'home', true, 'fresh'],
      ['pages', 'boom', false, undefined],
    ]);
    expect(String(loads[2]?.error)).toContain('db down');
  });

  it('traces thread tasks with the pool and task names', async () => {
    const pool = new WorkerThreadPool({ name: 'crunch', filename: TASKS, maxThreads: 1 });
    stops.push(() => pool.close());
    const { events, stop } = record(diagnosticsChannels.threadTask);
    expect(await pool.run({ a: 1, b: 2 }, { name: 'add' })).toBe(3);
    expect(await pool.run('x')).toBe('x');
    stop();
    expect(
      events.filter(([event]) => event === 'asyncEnd').map(([, c]) => [c.pool, c.task, c.result]),
    ).toEqual([
      ['crunch', 'add', 3],
      ['crunch', undefined, 'x'],
    ]);
  });

  it('traces job runs with the queue, the job id and the attempt', async () => {
    const queue = new JobQueue<number>({ name: 'mail' });
    const { events, stop } = record(diagnosticsChannels.jobRun);
    stops.push(stop);
    const id = await queue.add(7, { attempts: 2, backoff: { baseDelayMs: 1 } });
    let runs = 0;
    const worker = new JobWorker<number>({
      queue,
      handler: async (job) => {
        runs++;
        if (job.attempt === 1) throw new Error('smtp busy');
        return job.data * 2;
      },
    });
    stops.push(() => worker.close());
    while (runs < 2 || events.filter(([event]) => event === 'asyncEnd').length < 2) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const ends = events.filter(([event]) => event === 'asyncEnd').map(([, c]) => c);
    expect(ends.map((c) => [c.queue, c.jobId, c.attempt, c.result])).toEqual([
      ['mail', id, 1, undefined],
      ['mail', id, 2, 14],
    ]);
    expect(String(ends[0]?.error)).toContain('smtp busy');
  });
});
