// TieredCache refresh-ahead (#18): one hot key under steady reads across its expiries. A memory
// tier, TTL 200 ms, a loader that takes 20 ms, one read every millisecond (real timers) for 3 s
// (1 s with --quick) after a 0.5 s warm-up. Counted after the warm-up: reads that missed (the
// cache's own `misses`) and reads that waited for the loader (answered after >= 10 ms); read
// latency with hdr-histogram. Rows: refresh-ahead 0.2; none (a miss per TTL); stale-while-
// revalidate with 1 s of grace (no wait, but a stale answer per TTL). Target (#18): 0 misses after
// the warm-up with refresh-ahead.
import hdr from 'hdr-histogram-js';
import { MemoryTier, TieredCache, type TieredCacheOptions } from 'loadstone/cache';
import { formatFixed, formatInt, markdownTable } from '../report.js';
import { defineSuite } from '../suite.js';

const TTL_MS = 200;
const LOADER_MS = 20;
const WARMUP_MS = 500;

type Row = {
  name: string;
  misses: number;
  waited: number;
  stale: number;
  reads: number;
  p99Us: number;
  maxUs: number;
};

async function run(name: string, options: Partial<TieredCacheOptions>, durationMs: number): Promise<Row> {
  const cache = new TieredCache<number>({
    tiers: [new MemoryTier({ maxEntries: 10 })],
    defaultTtlMs: TTL_MS,
    jitterRatio: 0,
    ...options,
  });
  let version = 0;
  const loader = () => new Promise<number>((resolve) => setTimeout(() => resolve(++version), LOADER_MS));
  const histogram = hdr.build({ numberOfSignificantValueDigits: 3, autoResize: true });
  const started = performance.now();
  let before = cache.stats();
  let measuring = false;
  let waited = 0;
  let reads = 0;
  const pending: Promise<void>[] = [];
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      if (!measuring && now - started >= WARMUP_MS) {
        measuring = true;
        before = cache.stats();
      }
      if (now - started >= WARMUP_MS + durationMs) return resolve();
      const at = performance.now();
      const counted = measuring;
      pending.push(
        cache.getOrSet('hot', loader).then(() => {
          if (!counted) return;
          const us = Math.max(1, Math.round((performance.now() - at) * 1000));
          histogram.recordValue(us);
          reads++;
          if (us >= (LOADER_MS / 2) * 1000) waited++;
        }),
      );
      setTimeout(tick, 1);
    };
    tick();
  });
  await Promise.all(pending);
  const after = cache.stats();
  await cache.close();
  return {
    name,
    misses: after.misses - before.misses,
    waited,
    stale: after.staleServed - before.staleServed,
    reads,
    p99Us: histogram.getValueAtPercentile(99),
    maxUs: histogram.maxValue,
  };
}

export default defineSuite({
  name: 'cache-refresh',
  title: 'TieredCache refresh-ahead: a hot key across its expiries',
  anchors: [],
  async run(ctx) {
    if (!ctx.selected('refresh-ahead')) return;
    const durationMs = ctx.quick ? 1_000 : 3_000;
    const rows: Row[] = [];
    for (const [name, options] of [
      ['**refreshAhead: 0.2**', { refreshAhead: 0.2 }],
      ['no refresh-ahead', {}],
      ['staleWhileRevalidate, graceMs 1,000', { staleWhileRevalidate: true, graceMs: 1_000 }],
    ] as const) {
      ctx.log(`refresh-ahead: ${name}`);
      rows.push(await run(name, options, durationMs));
    }
    const met = (rows[0] as Row).misses === 0;
    ctx.report(
      'refresh-ahead',
      'A hot key under steady reads across its expiries',
      `${markdownTable(
        ['cache', 'reads', 'misses', 'reads that waited for the loader', 'stale answers', 'p99 µs', 'max µs'],
        rows.map((r) => [
          r.name,
          formatInt(r.reads),
          formatInt(r.misses),
          formatInt(r.waited),
          formatInt(r.stale),
          formatInt(r.p99Us),
          formatInt(r.maxUs),
        ]),
        ['l', 'r', 'r', 'r', 'r', 'r', 'r'],
      )}\n\n**Target** (#18): 0 misses after the warm-up with refresh-ahead: **${met ? 'met' : 'NOT met'}** (${formatFixed(durationMs / TTL_MS, 0)} expiries in the run).\n\n_One key, TTL ${TTL_MS} ms, a loader of ${LOADER_MS} ms, a read every ms (real timers) for ${durationMs / 1000} s after a ${WARMUP_MS / 1000} s warm-up. A read "waited" when it took >= ${LOADER_MS / 2} ms._`,
    );
  },
});
