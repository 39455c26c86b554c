// queue-workers: a stateless job worker with an admin listener for Kubernetes probes and scraping.
// Embedded by default (a producer adds jobs to an in-memory queue, results stay in memory); set
// REDIS_URL to take jobs from a durable loadstone queue in Redis that any producer adds to.
import { createServer } from 'node:http';
import type { HealthCheck } from 'loadstone';
import { HealthMonitor } from 'loadstone/health';
import { JobQueue, type JobStore, MemoryJobStore } from 'loadstone/jobs';
import { FlakyEnrichmentService } from './enrichment.js';
import { type JobData, MemoryResultSink, produceJobs, type ResultSink } from './jobs.js';
import { createMetrics } from './metrics.js';
import { RedisParts, RedisResultSink } from './redis.js';
import { EnrichmentWorker, type WorkerStats } from './worker.js';

const env = process.env;
const num = (name: string, fallback: number): number => Number(env[name] ?? fallback);
const HOST = env.HOST ?? '127.0.0.1';
const PORT = num('PORT', 3004);
const REDIS_URL = env.REDIS_URL;
const QUEUE_NAME = env.QUEUE_NAME ?? 'jobs';

// Event loop and heap by default; with Redis, also a ping (readiness fails while Redis is down).
// The enrichment breaker is left out on purpose: while it is open, the worker still does useful
// work (it writes results unenriched), so taking it out of service would not help anyone.
const checks: HealthCheck[] = [];
let store: JobStore;
let sink: ResultSink;
let redis: RedisParts | undefined;
if (REDIS_URL === undefined) {
  store = new MemoryJobStore();
  sink = new MemoryResultSink();
} else {
  redis = new RedisParts(REDIS_URL);
  store = redis.store;
  checks.push(redis.healthCheck());
  sink = new RedisResultSink(redis.redis, `${QUEUE_NAME}:results`);
}
const queue = new JobQueue<JobData>({ name: QUEUE_NAME, store });
const producer = REDIS_URL === undefined ? produceJobs(queue, num('JOBS_PER_SEC', 200)) : undefined;

const monitor = new HealthMonitor({ checks });
const worker = new EnrichmentWorker({
  queue,
  sink,
  service: new FlakyEnrichmentService({
    failureRate: num('FAILURE_RATE', 0.1),
    outageEveryMs: num('OUTAGE_EVERY_MS', 10_000),
    outageMs: num('OUTAGE_MS', 2_000),
    seed: num('SEED', 1),
  }),
  concurrency: num('CONCURRENCY', 100),
  batchSize: num('BATCH_SIZE', 50),
  batchWaitMs: num('BATCH_WAIT_MS', 100),
  visibilityTimeoutMs: num('VISIBILITY_TIMEOUT_MS', 5_000),
});
/** The queue's depth by state, read fresh for /stats and /metrics (null if the store fails). */
const depth = () => queue.counts().catch(() => null);
// Read once before registering, so that the depth family exists from the first scrape on.
await depth();
const metrics = createMetrics(worker, monitor);

const liveness = monitor.livenessHandler();
const readiness = monitor.readinessHandler();
const admin = createServer((req, res) => {
  const path = req.url?.split('?')[0];
  if (path === '/health/live') return liveness(req, res);
  if (path === '/health/ready') return readiness(req, res);
  if (path === '/stats') {
    return void depth().then((counts) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({ queue: QUEUE_NAME, ...worker.stats(), counts, batcher: worker.batcher.stats() }),
      );
    });
  }
  if (path === '/metrics') {
    return void depth()
      .then(() => metrics.metrics())
      .then(
        (body) => res.writeHead(200, { 'content-type': metrics.contentType }).end(body),
        (error: unknown) => res.writeHead(500).end(String(error)),
      );
  }
  res.writeHead(404).end();
});
admin.listen(PORT, HOST);
await new Promise((resolve) => admin.once('listening', resolve));
const address = admin.address();
const port = typeof address === 'object' && address !== null ? address.port : PORT;

console.log(
  `queue-workers: ${REDIS_URL ? `Redis queue "${QUEUE_NAME}"` : 'embedded jobs'}, listening on http://${HOST}:${port}`,
);

const line = (s: WorkerStats): string =>
  Object.entries(s)
    .map(([key, value]) => `${key}=${value}`)
    .join(' ');
const ticker = setInterval(
  () => console.log(`stats ${line(worker.stats())}`),
  num('STATS_INTERVAL_MS', 5_000),
);
ticker.unref();

async function shutdown(signal: string): Promise<void> {
  console.log(`${signal}: stop taking jobs, finish and write the running ones`);
  clearInterval(ticker);
  monitor.beginShutdown(); // readiness answers 503 from now on
  producer?.stop();
  // Running jobs get 10 s to be written; any left are handed back to the queue for another worker.
  await worker.stop(10_000);
  await Promise.all([sink.close(), monitor.close(), queue.close()]);
  await redis?.close();
  admin.closeAllConnections();
  await new Promise((resolve) => admin.close(resolve));
  console.log(`final stats ${line(worker.stats())}`);
}
// `once`: a second signal kills the process at once (the Redis variant still loses no job).
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () =>
    shutdown(signal).catch((error: unknown) => {
      console.error('shutdown failed:', error);
      process.exitCode = 1;
    }),
  );
}
