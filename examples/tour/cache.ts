// The cache section of `npm run example:tour`: a TieredCache with one memory tier (no Redis). Five
// simulated minutes of reads (a fake clock, so it runs in well under a second) show how TTL
// policies by key prefix set the hit rate; then 1 000 concurrent requests for one missing key
// show the loader running once, also when it fails.
import { setTimeout as sleep } from 'node:timers/promises';
import { MemoryTier, TieredCache } from 'loadstone/cache';
import { FakeClock, seededRandom } from 'loadstone/testing';

const percent = (part: number, whole: number) => `${((part / Math.max(1, whole)) * 100).toFixed(1)} %`;

export async function cacheDemo(): Promise<void> {
  console.log('\nTieredCache: hit rates under TTL policies (memory tier, 5 simulated minutes)');
  const clock = new FakeClock({ startMs: Date.now() });
  const random = seededRandom(42);
  const cache = new TieredCache<string>({
    tiers: [new MemoryTier({ maxEntries: 5_000 })],
    clock,
    random,
    defaultTtlMs: 60_000,
    policies: [
      { prefix: 'content:', ttlMs: 10 * 60_000 }, // articles change rarely
      { prefix: 'user:', ttlMs: 15_000 }, // profiles change often
    ],
  });
  const prefixes = ['content:', 'user:', 'search:'] as const;
  const counts = new Map(prefixes.map((prefix) => [prefix, { reads: 0, loads: 0 }]));
  // 60 000 reads over 300 s; within a prefix a few keys are hot (squared uniform ≈ skewed).
  for (let i = 0; i < 60_000; i++) {
    clock.advance(5);
    const prefix = prefixes[i % 3] as (typeof prefixes)[number];
    const key = `${prefix}${Math.floor(random() ** 2 * 500)}`;
    const count = counts.get(prefix) as { reads: number; loads: number };
    count.reads++;
    await cache.getOrSet(key, () => {
      count.loads++;
      return `value of ${key}`;
    });
  }
  console.log('  prefix     TTL      reads   loader calls   hit rate');
  const ttl = { 'content:': '10 min', 'user:': '15 s', 'search:': '60 s' };
  for (const [prefix, { reads, loads }] of counts) {
    console.log(
      `  ${prefix.padEnd(9)}  ${ttl[prefix].padEnd(6)}  ${String(reads).padStart(6)}  ${String(loads).padStart(13)}   ${percent(reads - loads, reads).padStart(8)}`,
    );
  }
  const stats = cache.stats();
  console.log(
    `  overall: ${percent(stats.hits, stats.hits + stats.misses)} hits, ${stats.loaderCalls} loader calls`,
  );

  console.log('\nTieredCache: 1 000 concurrent requests for one missing key (loader takes 50 ms)');
  const live = new TieredCache<string>({ tiers: [new MemoryTier({ maxEntries: 100 })] });
  let calls = 0;
  const started = performance.now();
  const values = await Promise.all(
    Array.from({ length: 1_000 }, () =>
      live.getOrSet('report:today', async () => {
        calls++;
        await sleep(50);
        return 'the report';
      }),
    ),
  );
  const liveStats = live.stats();
  console.log(
    `  loader calls: ${calls}, requests answered: ${values.length}, collapsed onto the one load: ${liveStats.stampedesCollapsed}` +
      ` (${(performance.now() - started).toFixed(0)} ms)`,
  );
  let failingCalls = 0;
  const settled = await Promise.allSettled(
    Array.from({ length: 1_000 }, () =>
      live.getOrSet('report:broken', async () => {
        failingCalls++;
        await sleep(10);
        throw new Error('database unavailable');
      }),
    ),
  );
  const rejected = settled.filter((s) => s.status === 'rejected');
  const first = rejected[0] as PromiseRejectedResult | undefined;
  console.log(
    `  failing loader: ${failingCalls} call, ${rejected.length} requests rejected with one shared ` +
      `${(first?.reason as Error | undefined)?.name ?? '?'} (cause: ${((first?.reason as Error | undefined)?.cause as Error | undefined)?.message ?? '?'})`,
  );
  await Promise.all([cache.close(), live.close()]);
}
