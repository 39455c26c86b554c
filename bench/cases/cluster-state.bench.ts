// Machine-wide rate limiting (#17): ClusterRateLimitStore with 2 workers (each decides its share of
// a key alone; the primary decides keys at their limit) beside each worker on its own
// MemoryRateLimitStore (no sharing: the ceiling) and both workers on one RedisRateLimitStore.
// Decisions/s for the whole machine and the latency of one `limit()` call, saturated (50 in flight
// per worker) and paced, with keys below their limit and at it. Target (#17): >= 100,000
// decisions/s, p99 <= 1 ms.
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import hdr from 'hdr-histogram-js';
import { startBenchRedis } from '../redis.js';
import { formatFixed, formatInt, markdownTable } from '../report.js';
import { defineSuite, type SuiteContext } from '../suite.js';

const MACHINE = fileURLToPath(new URL('../cluster-state/limiter-machine.mjs', import.meta.url));
const WORKERS = 2;
const CONCURRENCY = 50;
/** Offered rates for the whole machine: rate-limiter-flexible's published point, and #17's target. */
const PACED_RATES = [2_000, 100_000];
/** Keys at their limit: 100 keys of 10 a minute, so after the warm-up the primary refuses every call. */
const AT_LIMIT = { BENCH_KEYS: '100', BENCH_LIMIT: '10' };

type Run = {
  store: string;
  decisionsPerSec: number;
  degraded: number;
  p50Us: number;
  p99Us: number;
  maxUs: number;
};

/** One machine run; `ratePerWorker` > 0 paces the calls (open loop), else 50 in flight per worker. */
async function runMachine(
  store: string,
  durationMs: number,
  warmupMs: number,
  ratePerWorker: number,
  env: Record<string, string> = {},
): Promise<Run> {
  const child = fork(MACHINE, {
    env: {
      ...process.env,
      ...env,
      BENCH_STORE: store,
      BENCH_WORKERS: String(WORKERS),
      BENCH_CONCURRENCY: String(CONCURRENCY),
      BENCH_DURATION_MS: String(durationMs),
      BENCH_WARMUP_MS: String(warmupMs),
      BENCH_RATE: String(ratePerWorker),
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = once(child, 'exit');
  const [message] = (await Promise.race([once(child, 'message'), exited.then(() => [undefined])])) as [
    { decisions: number; degraded: number; durationMs: number; histogram: string } | undefined,
  ];
  await exited;
  if (message === undefined) throw new Error(`the ${store} machine exited without a result (see its stderr)`);
  const h = hdr.decodeFromCompressedBase64(message.histogram);
  return {
    store,
    decisionsPerSec: (message.decisions / message.durationMs) * 1000,
    degraded: message.degraded,
    p50Us: h.getValueAtPercentile(50),
    p99Us: h.getValueAtPercentile(99),
    maxUs: h.maxValue,
  };
}

const LABEL: Record<string, string> = {
  memory: 'MemoryRateLimitStore per worker (no sharing)',
  cluster: '**ClusterRateLimitStore** (shares in the workers)',
  redis: 'RedisRateLimitStore (one local redis-server)',
};

function table(runs: readonly Run[], offered?: number): string {
  const cluster = runs.find((r) => r.store === 'cluster');
  return markdownTable(
    [
      'store',
      offered === undefined ? 'decisions/s (machine)' : 'decisions/s answered',
      ...(offered === undefined ? ['× cluster'] : ['timed out (degraded)']),
      'p50 µs',
      'p99 µs',
      'max µs',
    ],
    runs.map((r) => [
      LABEL[r.store] ?? r.store,
      formatInt(r.decisionsPerSec),
      ...(offered === undefined
        ? [formatFixed(r.decisionsPerSec / (cluster?.decisionsPerSec ?? 1), 2)]
        : [formatInt(r.degraded)]),
      formatInt(r.p50Us),
      formatInt(r.p99Us),
      formatInt(r.maxUs),
    ]),
    ['l', 'r', 'r', 'r', 'r', 'r'],
  );
}

async function measure(ctx: SuiteContext): Promise<void> {
  const durationMs = ctx.quick ? 1_000 : 5_000;
  // Long enough for the keys at their limit to reach the primary's table and the workers' refusals
  // (the first second of a cold flood at the limit goes through the primary: see docs/benchmarks.md).
  const warmupMs = ctx.quick ? 500 : 2_000;
  const server = await startBenchRedis(ctx, 'limiter-redis', 'Machine-wide rate limiting — Redis store');
  const redisEnv = server === undefined ? undefined : { BENCH_REDIS_URL: server.url };
  try {
    const saturated: Run[] = [];
    for (const store of ['memory', 'cluster', 'redis']) {
      if (store === 'redis' && redisEnv === undefined) continue;
      ctx.log(`${store}: ${WORKERS} workers × ${CONCURRENCY} in flight, ${durationMs / 1000} s`);
      saturated.push(await runMachine(store, durationMs, warmupMs, 0, redisEnv));
    }
    const paced: Run[] = [];
    for (const [scenario, scenarioEnv] of [
      ['below', {}],
      ['at-limit', AT_LIMIT],
    ] as const) {
      for (const rate of PACED_RATES) {
        for (const store of ['cluster', 'redis']) {
          if (store === 'redis' && redisEnv === undefined) continue;
          ctx.log(
            `${store}: ${formatInt(rate)} decisions/s offered, keys ${scenario === 'below' ? 'below' : 'at'} their limit`,
          );
          const run = await runMachine(store, durationMs, warmupMs, rate / WORKERS, {
            ...redisEnv,
            ...scenarioEnv,
          });
          paced.push({ ...run, store: `${store}@${rate}@${scenario}` });
        }
      }
    }
    const cluster = saturated.find((r) => r.store === 'cluster') as Run;
    const at100k = paced.find((r) => r.store === 'cluster@100000@below') as Run;
    const met = cluster.decisionsPerSec >= 100_000 && at100k.degraded === 0 && at100k.p99Us <= 1_000;
    const pacedRows = paced.map((r) => {
      const [store, rate, scenario] = r.store.split('@') as [string, string, string];
      const keys = scenario === 'below' ? 'keys below their limit' : '**keys at their limit**';
      return { ...r, store: `${LABEL[store] ?? store} at ${formatInt(Number(rate))}/s, ${keys}` };
    });
    ctx.report(
      'limiter',
      `Machine-wide rate limiting — ${WORKERS} workers`,
      `**Saturated** (each worker keeps ${CONCURRENCY} \`limit()\` calls in flight):\n\n${table(saturated)}\n\n**Paced** (calls offered on a fixed schedule for the machine, whatever the answers, so a stall shows in the percentiles; rate-limiter-flexible's cluster limiter publishes 0.7 ms average and 1.6 ms p99 at 2,000 req/s):\n\n${table(pacedRows, 1)}\n\nKeys below their limit: 10,000 round-robin, every call allowed, each decided on the worker's share. Keys at their limit: 100 keys of 10 a minute, so after the warm-up every call is refused: by the primary, and then by each worker alone until the primary's \`retryAfterMs\` is over. ${durationMs / 1000} s after a ${warmupMs / 1000} s warm-up; latency is one call from \`limit()\` to its answer, all workers merged (hdr-histogram). The primary is hand-written (\`ClusterStateHost\` fed by \`cluster.on('message')\`). Target (#17): ClusterRateLimitStore >= 100,000 decisions/s for the machine, p99 <= 1 ms at 100,000/s offered with keys below their limit: **${met ? 'met' : 'not met'}**.`,
    );
  } finally {
    await server?.stop();
  }
}

export default defineSuite({
  name: 'cluster-state',
  title: 'Cluster-wide state: ClusterRateLimitStore vs per-worker memory and Redis',
  anchors: ['rate-limiter-flexible'],
  async run(ctx) {
    if (ctx.selected('limiter')) await measure(ctx);
  },
});
