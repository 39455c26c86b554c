// Rate limiter decisions/s: loadstone's RateLimiter against rate-limiter-flexible (the anchor),
// in memory (RateLimiterMemory) and on one real redis-server (RateLimiterRedis), one hot key and
// 10k keys round-robin, one call in flight and 50 in flight.
//
// Limits are set so that every call is allowed in both libraries: rate-limiter-flexible rejects
// its promise on a denial, and an exception path would skew the comparison in our favour.
import { Redis } from 'ioredis';
import { MemoryRateLimitStore, RateLimiter, RedisRateLimitStore } from 'loadstone/resilience';
import { RateLimiterMemory, RateLimiterRedis } from 'rate-limiter-flexible';
import type { Contender } from '../contender.js';
import { startBenchRedis } from '../redis.js';
import { readCommandStats, resetCommandStats } from '../redisCommandStats.js';
import { formatFixed, formatInt, formatRatio, markdownTable } from '../report.js';
import { defineSuite, type SuiteContext } from '../suite.js';

const KEY_COUNT = 10_000;
const CONCURRENCY = 50;
/** Never reached within a run, so every decision is an allow in both libraries. */
const HUGE = 1e9;

let sink = 0;

function keys(prefix: string): string[] {
  return Array.from({ length: KEY_COUNT }, (_, i) => `${prefix}${i}`);
}

type Limiters = {
  readonly rlf: () => { consume(key: string): Promise<{ remainingPoints: number }> };
  readonly gcra: () => RateLimiter;
  readonly sw: () => RateLimiter;
};

/**
 * The three contenders of one case. Each loop is its own function literal (see harness.ts).
 * `hot`: every call on one key; otherwise 10k keys round-robin.
 */
function contenders(make: Limiters, hot: boolean, concurrent: boolean): Contender[] {
  const ks = hot ? ['hot'] : keys('user:');
  const n = ks.length;
  let rlf: ReturnType<Limiters['rlf']> | undefined;
  let gcra: RateLimiter | undefined;
  let sw: RateLimiter | undefined;
  let a = 0;
  let b = 0;
  let c = 0;
  if (!concurrent) {
    return [
      {
        name: 'rate-limiter-flexible',
        anchor: true,
        setup: () => {
          rlf = make.rlf();
        },
        op: async () => {
          const r = await (rlf as ReturnType<Limiters['rlf']>).consume(ks[a] as string);
          if (++a === n) a = 0;
          sink += r.remainingPoints;
        },
      },
      {
        name: 'loadstone gcra',
        target: { minRatio: 1.5 },
        setup: () => {
          gcra = make.gcra();
        },
        op: async () => {
          const r = await (gcra as RateLimiter).limit(ks[b] as string);
          if (++b === n) b = 0;
          sink += r.remaining;
        },
      },
      {
        name: 'loadstone sliding-window',
        setup: () => {
          sw = make.sw();
        },
        op: async () => {
          const r = await (sw as RateLimiter).limit(ks[c] as string);
          if (++c === n) c = 0;
          sink += r.remaining;
        },
      },
    ];
  }
  return [
    {
      name: 'rate-limiter-flexible',
      anchor: true,
      setup: () => {
        rlf = make.rlf();
      },
      op: async () => {
        const limiter = rlf as ReturnType<Limiters['rlf']>;
        const batch = new Array<Promise<{ remainingPoints: number }>>(CONCURRENCY);
        for (let i = 0; i < CONCURRENCY; i++) {
          batch[i] = limiter.consume(ks[a] as string);
          if (++a === n) a = 0;
        }
        for (const r of await Promise.all(batch)) sink += r.remainingPoints;
      },
    },
    {
      name: 'loadstone gcra',
      target: { minRatio: 1.5 },
      setup: () => {
        gcra = make.gcra();
      },
      op: async () => {
        const limiter = gcra as RateLimiter;
        const batch = new Array<Promise<{ remaining: number }>>(CONCURRENCY);
        for (let i = 0; i < CONCURRENCY; i++) {
          batch[i] = limiter.limit(ks[b] as string);
          if (++b === n) b = 0;
        }
        for (const r of await Promise.all(batch)) sink += r.remaining;
      },
    },
    {
      name: 'loadstone sliding-window',
      setup: () => {
        sw = make.sw();
      },
      op: async () => {
        const limiter = sw as RateLimiter;
        const batch = new Array<Promise<{ remaining: number }>>(CONCURRENCY);
        for (let i = 0; i < CONCURRENCY; i++) {
          batch[i] = limiter.limit(ks[c] as string);
          if (++c === n) c = 0;
        }
        for (const r of await Promise.all(batch)) sink += r.remaining;
      },
    },
  ];
}

const memoryLimiters: Limiters = {
  rlf: () => new RateLimiterMemory({ points: HUGE, duration: 60 }),
  gcra: () => new RateLimiter({ limit: HUGE, periodMs: 60_000, store: new MemoryRateLimitStore() }),
  sw: () =>
    new RateLimiter({
      algorithm: 'sliding-window',
      limit: HUGE,
      periodMs: 60_000,
      store: new MemoryRateLimitStore(),
    }),
};

function redisLimiters(redis: Redis): Limiters {
  const store = new RedisRateLimitStore({ client: redis });
  return {
    rlf: () => new RateLimiterRedis({ storeClient: redis, points: HUGE, duration: 60, keyPrefix: 'rlf' }),
    gcra: () => new RateLimiter({ limit: HUGE, periodMs: 60_000, store, keyPrefix: 'ls:' }),
    sw: () =>
      new RateLimiter({
        algorithm: 'sliding-window',
        limit: HUGE,
        periodMs: 60_000,
        store,
        keyPrefix: 'ls:',
      }),
  };
}

const SHAPES = [
  { id: 'hot-key', hot: true, concurrent: false, label: 'one hot key, 1 in flight' },
  {
    id: '10k-keys',
    hot: false,
    concurrent: false,
    label: `${formatInt(KEY_COUNT)} keys round-robin, 1 in flight`,
  },
  { id: 'hot-key-c50', hot: true, concurrent: true, label: `one hot key, ${CONCURRENCY} in flight` },
  {
    id: '10k-keys-c50',
    hot: false,
    concurrent: true,
    label: `${formatInt(KEY_COUNT)} keys round-robin, ${CONCURRENCY} in flight`,
  },
] as const;

async function runShapes(
  ctx: SuiteContext,
  where: 'memory' | 'redis',
  make: Limiters,
  before?: () => Promise<void>,
) {
  for (const shape of SHAPES) {
    const name = `${where}/${shape.id}`;
    if (!ctx.selected(name)) continue;
    await before?.();
    await ctx.throughput({
      name,
      title: `Rate limiting — ${where === 'memory' ? 'memory' : 'Redis'}, ${shape.label}`,
      unit: shape.concurrent ? `batches of ${CONCURRENCY}` : 'decisions',
      contenders: contenders(make, shape.hot, shape.concurrent),
      note:
        (shape.concurrent
          ? `One operation is ${CONCURRENCY} \`limit()\` calls started together and awaited with \`Promise.all\`; decisions/s = ${CONCURRENCY} × the figure. `
          : 'One operation is one awaited `limit()` / `consume()` call. ') +
        (where === 'memory'
          ? '**rate-limiter-flexible**: `new RateLimiterMemory({ points: 1e9, duration: 60 })`, `consume(key)`. **loadstone**: `new RateLimiter({ limit: 1e9, periodMs: 60_000 })` with a `MemoryRateLimitStore`, `limit(key)`.'
          : '**rate-limiter-flexible**: `new RateLimiterRedis({ storeClient, points: 1e9, duration: 60 })`. **loadstone**: `RedisRateLimitStore({ client })`. Both share one ioredis client to one local redis-server (`--save ""`), flushed before each case.') +
        ' Every call is allowed in both libraries.',
    });
  }
}

/**
 * Redis µs per decision (`INFO commandstats`) at 50 in flight: the script's cost inside Redis,
 * which on a shared machine competes with the clients for the same cores.
 */
async function redisCost(ctx: SuiteContext, redis: Redis) {
  const decisions = ctx.quick ? 2_000 : 20_000;
  const make = redisLimiters(redis);
  const rows: string[][] = [];
  for (const hot of [true, false]) {
    const ks = hot ? ['hot'] : keys('user:');
    const limiters = [
      {
        name: 'rate-limiter-flexible',
        call: (
          (l) => (k: string) =>
            l.consume(k)
        )(make.rlf()),
      },
      {
        name: 'loadstone gcra',
        call: (
          (l) => (k: string) =>
            l.limit(k)
        )(make.gcra()),
      },
      {
        name: 'loadstone sliding-window',
        call: (
          (l) => (k: string) =>
            l.limit(k)
        )(make.sw()),
      },
    ];
    let anchorUsec = 0;
    for (const { name, call } of limiters) {
      await redis.flushall();
      let next = 0;
      const round = async () => {
        const batch = new Array<Promise<unknown>>(CONCURRENCY);
        for (let i = 0; i < CONCURRENCY; i++) batch[i] = call(ks[next++ % ks.length] as string);
        await Promise.all(batch);
      };
      for (let i = 0; i < 2_000; i += CONCURRENCY) await round(); // warm-up: keys exist, code is hot
      await resetCommandStats(redis);
      for (let i = 0; i < decisions; i += CONCURRENCY) await round();
      const stats = await readCommandStats(redis);
      const usec = stats.scriptUsec / decisions;
      if (anchorUsec === 0) anchorUsec = usec;
      const ratio = usec / anchorUsec;
      const verdict =
        name === 'loadstone gcra' ? (ratio <= 1 ? 'met: ≤ anchor' : '**MISSED**: ≤ anchor') : '';
      rows.push([
        hot ? 'one hot key' : `${formatInt(KEY_COUNT)} keys`,
        name,
        formatFixed(usec, 2),
        formatRatio(ratio),
        stats.calls,
        verdict,
      ]);
    }
  }
  ctx.report(
    'redis/cost',
    `Rate limiting — Redis µs per decision, ${CONCURRENCY} in flight`,
    `${markdownTable(['keys', 'contender', 'Redis µs / decision', '× rate-limiter-flexible', 'commands run', 'target'], rows)}\n\n` +
      `\`INFO commandstats\` after \`CONFIG RESETSTAT\`: the \`usec\` of \`EVALSHA\` (the commands a script runs included) over ${formatInt(decisions)} decisions, ${CONCURRENCY} \`limit()\` / \`consume()\` calls in flight, after a 2,000-decision warm-up on a flushed Redis. Every call is allowed. loadstone sends a tick's decisions as one script call, with one \`TIME\`; rate-limiter-flexible makes one script call per decision. Target (#18): loadstone gcra ≤ rate-limiter-flexible.`,
  );
}

export default defineSuite({
  name: 'ratelimit',
  title: 'Rate limiting: RateLimiter vs rate-limiter-flexible',
  anchors: ['rate-limiter-flexible'],
  async run(ctx) {
    await runShapes(ctx, 'memory', memoryLimiters);

    if (!SHAPES.some((s) => ctx.selected(`redis/${s.id}`))) return;
    const server = await startBenchRedis(ctx, 'redis', 'Rate limiting — Redis');
    if (server === undefined) return;
    const redis = new Redis(server.url);
    try {
      await redis.ping();
      await runShapes(ctx, 'redis', redisLimiters(redis), async () => {
        await redis.flushall();
      });
      if (ctx.selected('redis/cost')) await redisCost(ctx, redis);
    } finally {
      redis.disconnect();
      await server.stop();
    }
    ctx.log(sink > 0 ? 'done' : 'done (sink empty?)');
  },
});
