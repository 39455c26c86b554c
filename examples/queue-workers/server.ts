// queue-workers: a stateless job worker with an admin listener for Kubernetes probes and scraping.
// Embedded by default (generated jobs, in-memory results); set REDIS_URL to pull from a Redis list.
import { createServer } from 'node:http';
import { hostname } from 'node:os';
import type { HealthCheck } from 'loadstone';
import { HealthMonitor } from 'loadstone/health';
import { FlakyEnrichmentService } from './enrichment.js';
import { GeneratedJobSource, type JobSource, MemoryResultSink, type ResultSink } from './jobs.js';
import { createMetrics } from './metrics.js';
import { RedisJobSource, RedisResultSink } from './redis.js';
import { JobWorker, type WorkerStats } from './worker.js';

const env = process.env;
const num = (name: string, fallback: number): number => Number(env[name] ?? fallback);
const HOST = env.HOST ?? '127.0.0.1';
const PORT = num('PORT', 3004);
const REDIS_URL = env.REDIS_URL;
const QUEUE_KEY = env.QUEUE_KEY ?? 'jobs';
const WORKER_ID = env.WORKER_ID ?? hostname();

let source: JobSource;
let sink: ResultSink;
// Event loop and heap by default; with Redis, also a ping (readiness fails while Redis is down).
// The enrichment breaker is left out on purpose: while it is open, the worker still does useful
// work (it writes results unenriched), so taking it out of service would not help anyone.
const checks: HealthCheck[] = [];
if (REDIS_URL === undefined) {
  source = new GeneratedJobSource(num('JOBS_PER_SEC', 200));
  sink = new MemoryResultSink();
} else {
  const redisSource = new RedisJobSource(REDIS_URL, {
    queue: QUEUE_KEY,
    processing: `${QUEUE_KEY}:processing:${WORKER_ID}`,
  });
  const recovered = await redisSource.recover();
  if (recovered > 0) console.log(`requeued ${recovered} jobs a previous run of ${WORKER_ID} left unfinished`);
  source = redisSource;
  checks.push(redisSource.healthCheck());
  sink = new RedisResultSink(REDIS_URL, `${QUEUE_KEY}:results`);
}

const monitor = new HealthMonitor({ checks });
const worker = new JobWorker({
  source,
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
});
const metrics = createMetrics(worker, monitor);

const liveness = monitor.livenessHandler();
const readiness = monitor.readinessHandler();
const admin = createServer((req, res) => {
  const path = req.url?.split('?')[0];
  if (path === '/health/live') return liveness(req, res);
  if (path === '/health/ready') return readiness(req, res);
  if (path === '/stats') {
    res.writeHead(200, { 'content-type': 'application/json' });
    return res.end(JSON.stringify({ worker: WORKER_ID, ...worker.stats(), batcher: worker.batcher.stats() }));
  }
  if (path === '/metrics') {
    return void metrics.metrics().then(
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

worker.start();
console.log(
  `queue-workers ${WORKER_ID}: ${REDIS_URL ? `Redis list "${QUEUE_KEY}"` : 'embedded jobs'}, listening on http://${HOST}:${port}`,
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
  console.log(`${signal}: stop pulling, finish and flush in-flight jobs`);
  clearInterval(ticker);
  monitor.beginShutdown(); // readiness answers 503 from now on
  await worker.stop(); // every accepted job is written and acknowledged after this
  await Promise.all([source.close(), sink.close(), monitor.close()]);
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
