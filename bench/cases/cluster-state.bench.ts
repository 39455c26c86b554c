// Machine-wide rate limiting (#17): ClusterRateLimitStore with 2 workers, where the primary makes
// every decision, beside each worker on its own MemoryRateLimitStore (no sharing: the ceiling) and
// both workers on one RedisRateLimitStore. Decisions/s for the whole machine and the latency of one
// `limit()` call, 50 in flight per worker. Target (#17): >= 100,000 decisions/s, p99 <= 1 ms.
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
  cluster: '**ClusterRateLimitStore** (the primary decides)',
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
  const server = await startBenchRedis(ctx, 'limiter-redis', 'Machine-wide rate limiting — Redis store');
  const redisEnv = server === undefined ? undefined : { BENCH_REDIS_URL: server.url };
  try {
    const saturated: Run[] = [];
    for (const store of ['memory', 'cluster', 'redis']) {
      if (store === 'redis' && redisEnv === undefined) continue;
      ctx.log(`${store}: ${WORKERS} workers × ${CONCURRENCY} in flight, ${durationMs / 1000} s`);
      saturated.push(await runMachine(store, durationMs, 0, redisEnv));
    }
    const paced: Run[] = [];
    for (const rate of PACED_RATES) {
      for (const store of ['cluster', 'redis']) {
        if (store === 'redis' && redisEnv === undefined) continue;
        ctx.log(`${store}: ${formatInt(rate)} decisions/s offered, ${durationMs / 1000} s`);
        const run = await runMachine(store, durationMs, rate / WORKERS, redisEnv);
        paced.push({ ...run, store: `${store}@${rate}` });
      }
    }
    const cluster = saturated.find((r) => r.store === 'cluster') as Run;
    const at100k = paced.find((r) => r.store === 'cluster@100000') as Run;
    const met = cluster.decisionsPerSec >= 100_000 && at100k.degraded === 0 && at100k.p99Us <= 1_000;
    const pacedRows = paced.map((r) => {
      const [store, rate] = r.store.split('@') as [string, string];
      return { ...r, store: `${LABEL[store] ?? store} at ${formatInt(Number(rate))}/s` };
    });
    ctx.report(
      'limiter',
      `Machine-wide rate limiting — ${WORKERS} workers`,
      `**Saturated** (each worker keeps ${CONCURRENCY} \`limit()\` calls in flight):\n\n${table(saturated)}\n\n**Paced** (calls offered on a fixed schedule for the machine, whatever the answers, so a stall shows in the percentiles; rate-limiter-flexible's cluster limiter publishes 0.7 ms average and 1.6 ms p99 at 2,000 req/s):\n\n${table(pacedRows, 1)}\n\nKeys: 10,000 round-robin, every call allowed; ${durationMs / 1000} s after a 0.5 s warm-up; latency is one call from \`limit()\` to its answer, all workers merged (hdr-histogram). The primary is hand-written (\`ClusterStateHost\` fed by \`cluster.on('message')\`). Target (#17): ClusterRateLimitStore >= 100,000 decisions/s for the machine, p99 <= 1 ms at 100,000/s offered: **${met ? 'met' : 'not met'}**.`,
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
