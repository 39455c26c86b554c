// One machine of the cluster-state bench (bench/cases/cluster-state.bench.ts): a hand-written
// primary with a ClusterStateHost and BENCH_WORKERS workers, each keeping BENCH_CONCURRENCY
// `limit()` calls in flight for BENCH_DURATION_MS on 10,000 keys round-robin, every call allowed (by default).
// BENCH_RATE > 0 instead issues that many calls a second per worker on a fixed schedule.
// BENCH_KEYS and BENCH_LIMIT (a minute, per key) change the keys and their limit.
// BENCH_STORE picks the store: `cluster` (the primary decides), `memory` (each worker its own
// limit: the speed of no sharing), `redis` (BENCH_REDIS_URL). Reports to its parent over IPC:
//   { decisions, degraded, durationMs, histogram } with the workers' latencies merged (µs,
//   hdr-histogram); `degraded`: paced calls the store did not answer within the limiter's 1 s.
import cluster from 'node:cluster';
import { performance } from 'node:perf_hooks';
import hdr from 'hdr-histogram-js';
import { ClusterRateLimitStore, ClusterStateHost } from 'loadstone/cluster';
import { MemoryRateLimitStore, RateLimiter, RedisRateLimitStore } from 'loadstone/resilience';

const WORKERS = Number(process.env.BENCH_WORKERS ?? 2);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 50);
const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 3_000);
const WARMUP_MS = Number(process.env.BENCH_WARMUP_MS ?? 500);
/** Calls a second per worker on a fixed schedule; 0: closed loop (CONCURRENCY in flight). */
const RATE = Number(process.env.BENCH_RATE ?? 0);
/** Per-key limit a minute: the default lets every call through; a small one puts keys at their limit. */
const LIMIT = Number(process.env.BENCH_LIMIT ?? 1e9);
const KEYS = Array.from({ length: Number(process.env.BENCH_KEYS ?? 10_000) }, (_, i) => `user:${i}`);
/** The first error a degraded decision reported: a bench whose store fails measures nothing. */
let storeError;
const newHistogram = () => hdr.build({ numberOfSignificantValueDigits: 3, autoResize: true });

if (cluster.isPrimary) {
  const host = new ClusterStateHost();
  cluster.on('message', (worker, message) => host.receive(worker, message));
  cluster.on('exit', (worker) => host.workerExited(worker.process.pid ?? -1));
  const merged = newHistogram();
  let decisions = 0;
  let degraded = 0;
  let durationMs = 0;
  let done = 0;
  for (let i = 0; i < WORKERS; i++) {
    const worker = cluster.fork();
    worker.on('message', (message) => {
      if (message?.kind !== 'done') return;
      decisions += message.decisions;
      degraded += message.degraded;
      durationMs = Math.max(durationMs, message.durationMs);
      merged.add(hdr.decodeFromCompressedBase64(message.histogram));
      if (++done === WORKERS) {
        process.send?.({
          decisions,
          degraded,
          durationMs,
          histogram: hdr.encodeIntoCompressedBase64(merged),
        });
        process.exit(0);
      }
    });
  }
} else {
  const store =
    process.env.BENCH_STORE === 'cluster'
      ? new ClusterRateLimitStore()
      : process.env.BENCH_STORE === 'redis'
        ? await redisStore()
        : new MemoryRateLimitStore();
  const limiter = new RateLimiter({
    limit: LIMIT,
    periodMs: 60_000,
    store,
    onDegraded: (error) => {
      storeError ??= error;
    },
  });
  const histogram = newHistogram();
  const result = RATE > 0 ? await openLoop(limiter, histogram) : await closedLoop(limiter, histogram);
  process.send?.({ kind: 'done', ...result, histogram: hdr.encodeIntoCompressedBase64(histogram) });
}

/** Every call is answered by the store, and allowed unless keys are meant to reach their limit. */
function check(result) {
  if ((!result.allowed && LIMIT === 1e9) || result.degraded) {
    throw new Error(`unexpected decision ${JSON.stringify(result)}`, { cause: storeError });
  }
}

/** CONCURRENCY calls in flight, each started when one ends: the most the store can do. */
async function closedLoop(limiter, histogram) {
  let next = 0;
  let decisions = 0;
  let measuring = false;
  let stopped = false;
  const loop = async () => {
    let calls = 0;
    while (!stopped) {
      // A synchronous store answers in microtasks only: yield now and then, or the timers that
      // end the run never fire (a server yields between requests anyway).
      if ((++calls & 63) === 0) await new Promise(setImmediate);
      const key = KEYS[next];
      if (++next === KEYS.length) next = 0;
      const started = performance.now();
      check(await limiter.limit(key));
      if (measuring) {
        histogram.recordValue(Math.max(1, Math.round((performance.now() - started) * 1000)));
        decisions++;
      }
    }
  };
  const loops = Array.from({ length: CONCURRENCY }, loop);
  await new Promise((resolve) => setTimeout(resolve, WARMUP_MS));
  measuring = true;
  const started = performance.now();
  await new Promise((resolve) => setTimeout(resolve, DURATION_MS));
  measuring = false;
  const durationMs = performance.now() - started;
  stopped = true;
  await Promise.all(loops);
  return { decisions, degraded: 0, durationMs };
}

/**
 * RATE calls a second on a schedule, whatever the answers (open loop: a slow answer does not slow
 * the load, so a stall shows in the percentiles). Calls go out in the batch due at each 1 ms timer
 * tick (spinning on setImmediate would burn the cores the primary needs); a call's latency counts
 * from when it went out.
 */
async function openLoop(limiter, histogram) {
  const perMs = RATE / 1000;
  const start = performance.now() + WARMUP_MS;
  const end = start + DURATION_MS;
  const warmStart = performance.now();
  let issued = 0;
  let warm = 0;
  let decisions = 0;
  let degraded = 0;
  const pending = [];
  await new Promise((resolve) => {
    const tick = () => {
      const now = performance.now();
      if (now < start) {
        // Warm-up at the same rate, unmeasured.
        const due = Math.floor((now - warmStart) * perMs);
        for (; warm < due; warm++) pending.push(limiter.limit(KEYS[warm % KEYS.length]));
      } else {
        const due = Math.floor((Math.min(now, end) - start) * perMs);
        for (; issued < due; issued++) {
          const sentAt = performance.now();
          pending.push(
            limiter.limit(KEYS[issued % KEYS.length]).then((result) => {
              // Offered more than it can answer, a store falls behind and the limiter's
              // storeTimeoutMs (1 s) answers instead: counted, not measured as a decision.
              if (result.degraded) {
                degraded++;
                return;
              }
              check(result);
              histogram.recordValue(Math.max(1, Math.round((performance.now() - sentAt) * 1000)));
              decisions++;
            }),
          );
        }
      }
      if (pending.length > 10_000) pending.splice(0, pending.length - 10_000);
      if (now >= end) resolve();
      else setTimeout(tick, 1);
    };
    tick();
  });
  await Promise.all(pending);
  return { decisions, degraded, durationMs: DURATION_MS };
}

async function redisStore() {
  const { Redis } = await import('ioredis');
  const client = new Redis(process.env.BENCH_REDIS_URL);
  await client.ping();
  process.on('exit', () => client.disconnect());
  return new RedisRateLimitStore({ client });
}
