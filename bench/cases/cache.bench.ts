// TieredCache vs cache-manager 7 (anchor) and bentocache 1.6, with raw lru-cache 11 as the
// ceiling: memory-hit reads (awaited, and loadstone's synchronous `peek`), the `getOrSet` hit
// path, a two-tier miss-then-hit against one local redis-server, and a failing-loader stampede.
//
// Workload (anchors doc §2.1): 10 000 keys `user:<i>` holding `{ id, name, active }`, all
// pre-populated so every read hits; keys picked by a seeded PRNG. L1 bound 10 000 entries except
// cache-manager's default store (an unbounded Map, its `createCache()` default, 1.5 M gets/s in
// the anchors doc). bentocache is memory-only with its defaults (L1 serialisation on) and a 1 h
// TTL so nothing expires mid-run; loadstone is `TieredCache` over one `MemoryTier`.
//
// Awaited reads: one contender operation is 100 sequential `await get()`s (the harness times
// async operations one at a time, and its ~100 ns per-op timing would otherwise swamp a 50 ns
// read); ops/s below are reads/s (batches × 100). Each contender runs in its own process
// (isolate), so no library's call sites go megamorphic because of another's.
import { BentoCache, bentostore } from 'bentocache';
import { memoryDriver } from 'bentocache/drivers/memory';
import { redisDriver } from 'bentocache/drivers/redis';
import { createCache } from 'cache-manager';
import { Redis } from 'ioredis';
import { MemoryTier, RedisTier, TieredCache } from 'loadstone/cache';
import { seededRandom } from 'loadstone/testing';
import { LRUCache } from 'lru-cache';
import { type RedisServerHandle, startRedis } from '../../test/helpers/redisServer.js';
import type { Contender } from '../contender.js';
import type { ThroughputRow } from '../harness.js';
import { formatFixed, formatInt, formatRatio, markdownTable } from '../report.js';
import { defineSuite } from '../suite.js';

const KEYS = 10_000;
const PICKS = 1 << 16;
const MASK = PICKS - 1;
const PER_OP = 100;
const SEED = 0xcac4e;

type User = { id: number; name: string; active: boolean };

let sink = 0;

function workload(): { keys: string[]; picks: string[]; values: User[] } {
  const keys = Array.from({ length: KEYS }, (_, i) => `user:${i}`);
  const values = keys.map((_, i) => ({ id: i, name: `user ${i}`, active: i % 2 === 0 }));
  const random = seededRandom(SEED);
  const picks = Array.from({ length: PICKS }, () => keys[Math.floor(random() * KEYS)] as string);
  return { keys, picks, values };
}

/** Awaited memory-hit reads; each op = 100 sequential awaited reads. Built in `setup` (isolated). */
export function getHitContenders(): Contender[] {
  let picks: string[] = [];
  let p = 0;
  let lru: LRUCache<string, User> | undefined;
  let cm: ReturnType<typeof createCache> | undefined;
  let bento: BentoCache<{ memory: ReturnType<typeof bentostore> }> | undefined;
  let ls: TieredCache<User> | undefined;
  let lsSampled: TieredCache<User> | undefined;
  return [
    {
      name: 'lru-cache 11, await get (ceiling)',
      setup: () => {
        const w = workload();
        picks = w.picks;
        lru = new LRUCache<string, User>({ max: KEYS });
        for (let i = 0; i < KEYS; i++) lru?.set(w.keys[i] as string, w.values[i] as User);
      },
      op: async () => {
        const c = lru as LRUCache<string, User>;
        for (let i = 0; i < PER_OP; i++) sink += (await c.get(picks[p++ & MASK] as string))?.id ?? 0;
      },
    },
    {
      name: 'cache-manager 7, createCache() get',
      anchor: true,
      setup: async () => {
        const w = workload();
        picks = w.picks;
        cm = createCache();
        for (let i = 0; i < KEYS; i++) await cm.set(w.keys[i] as string, w.values[i]);
      },
      op: async () => {
        const c = cm as ReturnType<typeof createCache>;
        for (let i = 0; i < PER_OP; i++) sink += (await c.get<User>(picks[p++ & MASK] as string))?.id ?? 0;
      },
    },
    {
      name: 'bentocache 1.6, memory-only get',
      setup: async () => {
        const w = workload();
        picks = w.picks;
        bento = new BentoCache({
          default: 'memory',
          ttl: '1h',
          stores: { memory: bentostore().useL1Layer(memoryDriver({ maxItems: KEYS })) },
        });
        for (let i = 0; i < KEYS; i++) await bento.set({ key: w.keys[i] as string, value: w.values[i] });
      },
      op: async () => {
        const c = bento as BentoCache<{ memory: ReturnType<typeof bentostore> }>;
        for (let i = 0; i < PER_OP; i++)
          sink += ((await c.get<User>({ key: picks[p++ & MASK] as string })) as User).id;
      },
      teardown: () => bento?.disconnectAll(),
    },
    {
      name: 'loadstone TieredCache get',
      target: { minRatio: 5 },
      setup: async () => {
        const w = workload();
        picks = w.picks;
        ls = new TieredCache<User>({
          tiers: [new MemoryTier({ maxEntries: KEYS })],
          defaultTtlMs: 3_600_000,
        });
        for (let i = 0; i < KEYS; i++) await ls.set(w.keys[i] as string, w.values[i] as User);
      },
      op: async () => {
        const c = ls as TieredCache<User>;
        for (let i = 0; i < PER_OP; i++) sink += (await c.get(picks[p++ & MASK] as string))?.id ?? 0;
      },
    },
    {
      name: 'loadstone TieredCache getOrSet (hit)',
      target: { minRatio: 5 },
      setup: async () => {
        const w = workload();
        picks = w.picks;
        ls = new TieredCache<User>({
          tiers: [new MemoryTier({ maxEntries: KEYS })],
          defaultTtlMs: 3_600_000,
        });
        for (let i = 0; i < KEYS; i++) await ls.set(w.keys[i] as string, w.values[i] as User);
      },
      op: async () => {
        const c = ls as TieredCache<User>;
        const loader = () => ({ id: -1, name: '', active: false });
        for (let i = 0; i < PER_OP; i++)
          sink += (await c.getOrSet(picks[p++ & MASK] as string, loader))?.id ?? 0;
      },
    },
    {
      name: 'loadstone TieredCache get, every call timed',
      setup: async () => {
        const w = workload();
        picks = w.picks;
        lsSampled = new TieredCache<User>({
          tiers: [new MemoryTier({ maxEntries: KEYS })],
          defaultTtlMs: 3_600_000,
          latencySampleEvery: 1,
        });
        for (let i = 0; i < KEYS; i++) await lsSampled.set(w.keys[i] as string, w.values[i] as User);
      },
      op: async () => {
        const c = lsSampled as TieredCache<User>;
        for (let i = 0; i < PER_OP; i++) sink += (await c.get(picks[p++ & MASK] as string))?.id ?? 0;
      },
    },
  ];
}

/** Synchronous memory reads: raw lru-cache `get` (anchor) vs `TieredCache.peek`. */
export function syncReadContenders(): Contender[] {
  let picks: string[] = [];
  let p = 0;
  let lru: LRUCache<string, User> | undefined;
  let ls: TieredCache<User> | undefined;
  return [
    {
      name: 'lru-cache 11, get',
      anchor: true,
      setup: () => {
        const w = workload();
        picks = w.picks;
        lru = new LRUCache<string, User>({ max: KEYS });
        for (let i = 0; i < KEYS; i++) lru?.set(w.keys[i] as string, w.values[i] as User);
      },
      batch: (n) => {
        const c = lru as LRUCache<string, User>;
        for (let i = 0; i < n; i++) sink += c.get(picks[p++ & MASK] as string)?.id ?? 0;
      },
    },
    {
      name: 'loadstone TieredCache peek',
      target: { minRatio: 0.8 },
      setup: async () => {
        const w = workload();
        picks = w.picks;
        ls = new TieredCache<User>({
          tiers: [new MemoryTier({ maxEntries: KEYS })],
          defaultTtlMs: 3_600_000,
        });
        for (let i = 0; i < KEYS; i++) await ls.set(w.keys[i] as string, w.values[i] as User);
      },
      batch: (n) => {
        const c = ls as TieredCache<User>;
        for (let i = 0; i < n; i++) sink += c.peek(picks[p++ & MASK] as string)?.id ?? 0;
      },
    },
  ];
}

/** Two tiers on one redis-server: each op is a miss (loader + writes to both tiers) then a hit. */
function twoTierContenders(server: RedisServerHandle): Contender[] {
  const connections: Redis[] = [];
  const connect = (): Redis => {
    const redis = new Redis(server.url);
    connections.push(redis);
    return redis;
  };
  let bento: BentoCache<{ two: ReturnType<typeof bentostore> }> | undefined;
  let ls: TieredCache<User> | undefined;
  let nBento = 0;
  let nLs = 0;
  const value: User = { id: 1, name: 'user 1', active: true };
  return [
    {
      name: 'bentocache 1.6, memory + redis getOrSet ×2',
      anchor: true,
      setup: () => {
        bento = new BentoCache({
          default: 'two',
          ttl: '1m',
          stores: {
            two: bentostore()
              .useL1Layer(memoryDriver({ maxItems: KEYS }))
              .useL2Layer(redisDriver({ connection: connect(), prefix: 'bench-bento' })),
          },
        });
      },
      op: async () => {
        const c = bento as BentoCache<{ two: ReturnType<typeof bentostore> }>;
        const key = `k${nBento++}`;
        sink += (await c.getOrSet({ key, factory: () => value })).id;
        sink += (await c.getOrSet({ key, factory: () => value })).id;
      },
      teardown: () => bento?.disconnectAll(),
    },
    {
      name: 'loadstone TieredCache memory + redis getOrSet ×2',
      setup: () => {
        ls = new TieredCache<User>({
          tiers: [
            new MemoryTier({ maxEntries: KEYS }),
            new RedisTier({ client: connect(), prefix: 'bench-ls:' }),
          ],
          defaultTtlMs: 60_000,
        });
      },
      op: async () => {
        const c = ls as TieredCache<User>;
        const key = `k${nLs++}`;
        sink += (await c.getOrSet(key, () => value))?.id ?? 0;
        sink += (await c.getOrSet(key, () => value))?.id ?? 0;
      },
      teardown: async () => {
        await Promise.all(connections.map((r) => r.quit()));
      },
    },
  ];
}

type StampedeRow = { name: string; calls: number; rejected: number; wallMs: number };

/** 1 000 concurrent reads of one missing key whose loader fails after 1 ms. */
async function failingStampede(): Promise<StampedeRow[]> {
  const n = 1000;
  const failing = (counter: { calls: number }) => async () => {
    counter.calls++;
    await new Promise((resolve) => setTimeout(resolve, 1));
    throw new Error('db down');
  };
  const run = async (name: string, call: (fn: () => Promise<never>) => Promise<unknown>) => {
    const counter = { calls: 0 };
    const fn = failing(counter);
    const started = performance.now();
    const settled = await Promise.allSettled(Array.from({ length: n }, () => call(fn)));
    return {
      name,
      calls: counter.calls,
      rejected: settled.filter((s) => s.status === 'rejected').length,
      wallMs: performance.now() - started,
    };
  };
  const ls = new TieredCache({ tiers: [new MemoryTier({ maxEntries: 100 })] });
  const cm = createCache();
  const bento = new BentoCache({
    default: 'memory',
    stores: { memory: bentostore().useL1Layer(memoryDriver({ maxItems: 100 })) },
  });
  const rows = [
    await run('loadstone TieredCache getOrSet', (fn) => ls.getOrSet('missing', fn)),
    await run('cache-manager 7 wrap', (fn) => cm.wrap('missing', fn)),
    await run('bentocache 1.6 getOrSet', (fn) => bento.getOrSet({ key: 'missing', factory: fn })),
  ];
  await bento.disconnectAll();
  return rows;
}

export default defineSuite({
  name: 'cache',
  title: 'TieredCache',
  anchors: ['cache-manager', 'bentocache', 'lru-cache'],
  async run(ctx) {
    let hits: ThroughputRow[] = [];
    if (ctx.selected('cache/get-hit')) {
      hits = await ctx.throughput({
        name: 'get-hit',
        title: 'Memory-tier hit, awaited: reads/s (100 sequential awaited reads per timed op)',
        unit: 'x100 reads',
        contenders: getHitContenders(),
        isolate: { module: import.meta.url, factory: 'getHitContenders', params: {} },
        note:
          'ops/s are batches of 100 awaited reads: multiply by 100 for reads/s (derived table below). ' +
          'Targets: ≥ 5× cache-manager (this table) and ≥ 30× bentocache, getOrSet within 10 % of get (below).',
      });
    }
    if (hits.length > 0) {
      const find = (prefix: string) => hits.find((r) => r.contender.startsWith(prefix));
      const bento = find('bentocache');
      const cm = find('cache-manager');
      const get = find('loadstone TieredCache get');
      const getOrSet = find('loadstone TieredCache getOrSet');
      const rows = hits.map((r) => {
        const reads = r.opsPerSec.median * PER_OP;
        const vsBento = bento === undefined ? Number.NaN : r.opsPerSec.median / bento.opsPerSec.median;
        const vsCm = cm === undefined ? Number.NaN : r.opsPerSec.median / cm.opsPerSec.median;
        const isLs = r.contender.startsWith('loadstone');
        return [
          r.contender,
          formatInt(reads),
          formatFixed(1e9 / reads, 1),
          formatRatio(vsCm) +
            (isLs && !r.contender.includes('timed') ? (vsCm >= 5 ? ' met' : ' missed') : ''),
          formatRatio(vsBento) +
            (isLs && !r.contender.includes('timed') ? (vsBento >= 30 ? ' met' : ' missed') : ''),
        ];
      });
      let gap = '';
      if (get !== undefined && getOrSet !== undefined) {
        const ratio = getOrSet.opsPerSec.median / get.opsPerSec.median;
        gap = `\n\ngetOrSet hit ÷ get: ${formatRatio(ratio)} (target ≥ 0.90×: ${ratio >= 0.9 ? 'met' : 'missed'}).`;
      }
      ctx.report(
        'get-hit-derived',
        'Memory-tier hit, awaited: reads/s and ratios (from the medians above)',
        `${markdownTable(['contender', 'reads/s', 'ns/read', '× cache-manager (≥ 5×)', '× bentocache (≥ 30×)'], rows)}${gap}`,
      );
    }
    if (ctx.selected('cache/sync-read')) {
      await ctx.throughput({
        name: 'sync-read',
        title: 'Memory-tier hit, synchronous: `peek` vs raw lru-cache `get`',
        unit: 'reads',
        contenders: syncReadContenders(),
        isolate: { module: import.meta.url, factory: 'syncReadContenders', params: {} },
        note: 'Target ≥ 0.8× raw lru-cache (same 10 000 entries, `max` bound, no TTL in lru-cache).',
      });
    }
    if (ctx.selected('cache/two-tier')) {
      const server = await startRedis();
      if (server === undefined) {
        const banner =
          'redis-server NOT FOUND on PATH: SKIPPING cache/two-tier (install it: apt-get install -y redis-server)';
        console.warn(`\n${'='.repeat(78)}\n  ${banner}\n${'='.repeat(78)}\n`);
        ctx.report('two-tier', 'Two tiers (memory + Redis): SKIPPED', `_${banner}_`);
      } else {
        try {
          await ctx.throughput({
            name: 'two-tier',
            title: 'Two tiers, memory + Redis on one local redis-server: getOrSet miss then hit, per new key',
            unit: 'miss+hit pairs',
            contenders: twoTierContenders(server),
            note:
              'Each op: `getOrSet` of a new key (miss in both tiers, loader, write to both) then `getOrSet` of it again ' +
              '(memory hit). Same redis-server, separate key prefixes; no bus on either side.',
          });
        } finally {
          await server.stop();
        }
      }
    }
    if (ctx.selected('cache/stampede-failing')) {
      const rows = await failingStampede();
      ctx.report(
        'stampede-failing',
        'Stampede: 1 000 concurrent reads of a missing key, loader fails after 1 ms',
        markdownTable(
          ['contender', 'loader calls', 'rejected', 'wall ms'],
          rows.map((r) => [r.name, formatInt(r.calls), formatInt(r.rejected), formatFixed(r.wallMs, 1)]),
        ),
      );
    }
    ctx.log(`sink ${sink}`);
  },
});
