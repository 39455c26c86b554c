import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { expectInvalidOption } from '../../test/helpers/expectInvalidOption.js';
import { type PromFamily, parsePrometheusText, samplesOf, sampleValue } from '../../test/helpers/promText.js';
import { LoadBalancer } from '../balancing/index.js';
import { MemoryTier, TieredCache } from '../cache/index.js';
import { ClusterBusRelay, ClusterSupervisor, supervise } from '../cluster/index.js';
import { HealthMonitor } from '../health/index.js';
import { JobQueue, JobWorker } from '../jobs/index.js';
import { ConnectionPoolManager } from '../pool/index.js';
import { BatchProcessor, PriorityTaskQueue } from '../queue/index.js';
import { CircuitBreaker, RateLimiter } from '../resilience/index.js';
import { WorkerThreadPool } from '../threads/index.js';
import { PrometheusExporter } from './index.js';

// `supervise` would fork this test file: a stand-in plays both roles for the cluster snippet.
vi.mock('../cluster/index.js', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../cluster/index.js')>()),
  supervise: vi.fn(),
}));

const TASKS = fileURLToPath(new URL('../../test/fixtures/threads/tasks.mjs', import.meta.url));
const closers: (() => unknown)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** Registers `exporter` on a fresh prom-client Registry and parses its text output strictly. */
async function scrape(exporter: PrometheusExporter): Promise<Map<string, PromFamily>> {
  const registry = new Registry();
  exporter.register(registry);
  return parsePrometheusText(await registry.metrics());
}

function family(families: Map<string, PromFamily>, name: string): PromFamily {
  const found = families.get(name);
  if (found === undefined) throw new Error(`no family ${name} in ${[...families.keys()].join(', ')}`);
  return found;
}

describe('PrometheusExporter', () => {
  it('exports primitives on a prom-client registry', async () => {
    const pools = new ConnectionPoolManager();
    closers.push(() => pools.close());
    pools.register('postgres', { create: () => ({}) }, { max: 4 });
    const cache = new TieredCache({ tiers: [new MemoryTier({ maxEntries: 100 })] });
    closers.push(() => cache.close());
    // #region singleProcess
    // import { Registry } from 'prom-client';
    // import { PrometheusExporter } from 'loadstone/prometheus';
    const registry = new Registry();
    const exporter = new PrometheusExporter(); // names start with 'loadstone_'
    exporter.add('db', pools).add('profiles', cache); // series get name="db" / name="profiles"
    exporter.register(registry);
    // serve it: res.setHeader('content-type', registry.contentType).end(await registry.metrics())
    const text = await registry.metrics();
    // loadstone_pool_resources{name="db",pool="postgres"} 0
    // loadstone_cache_hits_total{name="profiles"} 0
    // #endregion singleProcess
    const families = parsePrometheusText(text);
    expect(family(families, 'loadstone_pool_resources').type).toBe('gauge');
    expect(sampleValue(families, 'loadstone_pool_resources_max', { name: 'db', pool: 'postgres' })).toBe(4);
    expect(family(families, 'loadstone_cache_hits_total').type).toBe('counter');
  });

  it('maps a WorkerThreadPool: counters, gauges and latency summaries in seconds', async () => {
    const pool = new WorkerThreadPool({ filename: TASKS, maxThreads: 1 });
    closers.push(() => pool.close());
    await pool.run({ a: 1, b: 2 }, { name: 'add' });
    await pool.run({ a: 1, b: 2 }, { name: 'add' });
    const families = await scrape(new PrometheusExporter().add('cpu', pool));
    const labels = { name: 'cpu' };
    expect(sampleValue(families, 'loadstone_threads_tasks_completed_total', labels)).toBe(2);
    expect(sampleValue(families, 'loadstone_threads_workers', labels)).toBe(1);
    expect(sampleValue(families, 'loadstone_threads_tasks_failed_total', labels)).toBe(0);
    const duration = family(families, 'loadstone_threads_task_duration_seconds');
    expect(duration.type).toBe('summary');
    expect(duration.samples.map((s) => s.labels.quantile ?? s.name)).toEqual([
      '0.5',
      '0.9',
      '0.99',
      'loadstone_threads_task_duration_seconds_sum',
      'loadstone_threads_task_duration_seconds_count',
    ]);
    expect(sampleValue(families, 'loadstone_threads_task_duration_seconds_count', labels)).toBe(2);
    const stats = pool.stats();
    expect(
      sampleValue(families, 'loadstone_threads_task_duration_seconds', { quantile: '0.99' }),
    ).toBeCloseTo(stats.runTime.p99Ms / 1000, 9);
    expect(sampleValue(families, 'loadstone_threads_task_duration_seconds_sum')).toBeCloseTo(
      (stats.runTime.meanMs * 2) / 1000,
      6,
    );
  });

  it('maps a PriorityTaskQueue and a BatchProcessor', async () => {
    const queue = new PriorityTaskQueue({ concurrency: 2 });
    closers.push(() => queue.close());
    await queue.add(async () => 1);
    await expect(queue.add(async () => Promise.reject(new Error('no')))).rejects.toThrow('no');
    const batch = new BatchProcessor<number, number>({ process: async (items) => items, maxBatchSize: 2 });
    closers.push(() => batch.close());
    await Promise.all([batch.add(1), batch.add(2)]);
    const third = batch.add(3);
    await batch.flush();
    await third;
    const families = await scrape(new PrometheusExporter().add('jobs', queue).add('writes', batch));
    expect(sampleValue(families, 'loadstone_queue_tasks_completed_total', { name: 'jobs' })).toBe(1);
    expect(sampleValue(families, 'loadstone_queue_tasks_failed_total', { name: 'jobs' })).toBe(1);
    expect(sampleValue(families, 'loadstone_queue_concurrency', { name: 'jobs' })).toBe(2);
    expect(sampleValue(families, 'loadstone_queue_load', { name: 'jobs', status: 'healthy' })).toBe(1);
    expect(sampleValue(families, 'loadstone_queue_load', { name: 'jobs', status: 'critical' })).toBe(0);
    expect(sampleValue(families, 'loadstone_batch_items_completed_total', { name: 'writes' })).toBe(3);
    expect(sampleValue(families, 'loadstone_batch_flushes_total', { name: 'writes', reason: 'size' })).toBe(
      1,
    );
    expect(samplesOf(families, 'loadstone_batch_flushes_total')).toHaveLength(3);
    expect(sampleValue(families, 'loadstone_batch_retries_total', { name: 'writes' })).toBe(0);
  });

  it('maps a JobQueue: outcomes, wait and run summaries, and depth by state once counted', async () => {
    const queue = new JobQueue<number>({ name: 'emails', attempts: 1 });
    await queue.addBulk([{ data: 1 }, { data: 2 }, { data: 3, delayMs: 60_000 }]);
    const done = new Promise((resolve) => queue.on('job:dead', resolve));
    const worker = new JobWorker({
      queue,
      handler: async (job) => {
        if (job.data === 2) throw new Error('bounce');
      },
    });
    closers.push(() => worker.close());
    await done;
    while ((await queue.counts()).waiting + (await queue.counts()).active > 0)
      await new Promise((r) => setTimeout(r, 2));
    const before = await scrape(
      new PrometheusExporter().add('mail', new JobQueue({ name: 'never-counted' })),
    );
    expect(before.has('loadstone_jobs_depth')).toBe(false);
    const families = await scrape(new PrometheusExporter().add('mail', queue));
    expect(sampleValue(families, 'loadstone_jobs_completed_total', { name: 'mail' })).toBe(1);
    expect(sampleValue(families, 'loadstone_jobs_dead_total', { name: 'mail' })).toBe(1);
    expect(sampleValue(families, 'loadstone_jobs_depth', { name: 'mail', state: 'delayed' })).toBe(1);
    expect(sampleValue(families, 'loadstone_jobs_depth', { name: 'mail', state: 'dead' })).toBe(1);
    expect(sampleValue(families, 'loadstone_jobs_run_seconds_count', { name: 'mail' })).toBe(2);
    expect(sampleValue(families, 'loadstone_jobs_wait_seconds_count', { name: 'mail' })).toBe(2);
    expect(family(families, 'loadstone_jobs_run_seconds').type).toBe('summary');
  });

  it('maps a ConnectionPoolManager per pool with acquire-wait and hold-time summaries', async () => {
    const pools = new ConnectionPoolManager();
    closers.push(() => pools.close());
    const pg = pools.register('pg', { create: () => ({}) }, { max: 2 });
    pools.register('redis', { create: () => ({}) }, { max: 3 });
    const conn = await pg.acquire();
    pg.release(conn);
    const families = await scrape(new PrometheusExporter().add('db', pools));
    expect(sampleValue(families, 'loadstone_pool_acquires_total', { name: 'db', pool: 'pg' })).toBe(1);
    expect(sampleValue(families, 'loadstone_pool_resources_max', { pool: 'redis' })).toBe(3);
    expect(sampleValue(families, 'loadstone_pool_resources_idle', { pool: 'pg' })).toBe(1);
    expect(sampleValue(families, 'loadstone_pool_acquire_wait_seconds_count', { pool: 'pg' })).toBe(1);
    expect(sampleValue(families, 'loadstone_pool_hold_seconds_count', { pool: 'pg' })).toBe(1);
    expect(family(families, 'loadstone_pool_hold_seconds').type).toBe('summary');
  });

  it('maps a TieredCache: totals, per-tier counters and tier state', async () => {
    const cache = new TieredCache({ tiers: [new MemoryTier({ maxEntries: 10 })] });
    closers.push(() => cache.close());
    await cache.set('a', 1);
    await cache.get('a');
    await cache.get('a');
    await cache.get('missing');
    const families = await scrape(new PrometheusExporter().add('profiles', cache));
    expect(sampleValue(families, 'loadstone_cache_hits_total', { name: 'profiles' })).toBe(2);
    expect(sampleValue(families, 'loadstone_cache_misses_total', { name: 'profiles' })).toBe(1);
    const tier = cache.stats().tiers[0];
    expect(sampleValue(families, 'loadstone_cache_tier_hits_total', { tier: tier?.name ?? '' })).toBe(
      tier?.hits,
    );
    expect(sampleValue(families, 'loadstone_cache_tier_state', { state: 'local' })).toBe(1);
  });

  it('maps a HealthMonitor, a LoadBalancer, a CircuitBreaker and a ClusterBusRelay', async () => {
    const monitor = new HealthMonitor({
      intervalMs: 3_600_000,
      checks: [{ name: 'redis', check: async () => ({ status: 'degraded' }) }],
    });
    closers.push(() => monitor.destroy());
    await monitor.refresh();
    const lb = new LoadBalancer({ backends: [{ id: 'a', target: 'http://a' }] });
    closers.push(() => lb.close());
    await lb.run(async () => 'ok');
    const breaker = new CircuitBreaker({ name: 'dep', consecutiveFailures: 3 });
    await breaker.execute(async () => 1);
    const relay = new ClusterBusRelay({ workers: () => [] });
    const families = await scrape(
      new PrometheusExporter().add('app', monitor).add('upstream', lb).add('dep', breaker).add('bus', relay),
    );
    expect(
      sampleValue(families, 'loadstone_health_check_status', { check: 'redis', status: 'degraded' }),
    ).toBe(1);
    expect(sampleValue(families, 'loadstone_health_samples_total', { name: 'app' })).toBeGreaterThan(0);
    expect(sampleValue(families, 'loadstone_health_resident_memory_bytes', { name: 'app' })).toBeGreaterThan(
      0,
    );
    expect(samplesOf(families, 'loadstone_health_status', { name: 'app' })).toHaveLength(3);
    expect(sampleValue(families, 'loadstone_balancer_requests_total', { name: 'upstream' })).toBe(1);
    expect(sampleValue(families, 'loadstone_balancer_backend_requests_total', { backend: 'a' })).toBe(1);
    expect(sampleValue(families, 'loadstone_balancer_backend_state', { backend: 'a', state: 'up' })).toBe(1);
    expect(sampleValue(families, 'loadstone_balancer_backend_latency_seconds_count', { backend: 'a' })).toBe(
      1,
    );
    expect(sampleValue(families, 'loadstone_breaker_calls_total', { name: 'dep' })).toBe(1);
    expect(sampleValue(families, 'loadstone_breaker_opened_total', { name: 'dep' })).toBe(0);
    expect(sampleValue(families, 'loadstone_breaker_state', { name: 'dep', state: 'closed' })).toBe(1);
    expect(sampleValue(families, 'loadstone_breaker_call_duration_seconds_count', { name: 'dep' })).toBe(1);
    expect(
      sampleValue(families, 'loadstone_bus_messages_dropped_total', { name: 'bus', reason: 'size' }),
    ).toBe(0);
  });

  it('maps a RateLimiter', async () => {
    const login = new RateLimiter({ limit: 1, periodMs: 60_000 });
    await login.limit('ada');
    await login.limit('ada');
    const families = await scrape(new PrometheusExporter().add('login', login));
    expect(sampleValue(families, 'loadstone_ratelimit_allowed_total', { name: 'login' })).toBe(1);
    expect(sampleValue(families, 'loadstone_ratelimit_denied_total', { name: 'login' })).toBe(1);
    expect(families.get('loadstone_ratelimit_denied_total')?.type).toBe('counter');
    expect(sampleValue(families, 'loadstone_ratelimit_degraded_total')).toBe(0);
  });

  it('maps any other MetricsSource generically', async () => {
    // #region genericSource
    const source = {
      stats: () => ({
        openSockets: 3, // → loadstone_open_sockets{name="sockets"} 3 (a gauge)
        acceptedTotal: 41, // → loadstone_accepted_total 41 (a counter: the name says it only grows)
        idleTimeoutMs: 1500, // → loadstone_idle_timeout_seconds 1.5
        bufferBytes: 4096, // → loadstone_buffer_bytes 4096
        draining: false, // → loadstone_draining 0
        http: { status2xx: 7 }, // nested → loadstone_http_status2xx 7
        label: 'ignored', // strings and arrays are left out
      }),
    };
    const exporter = new PrometheusExporter().add('sockets', source);
    // #endregion genericSource
    const families = await scrape(exporter);
    expect([...families.keys()]).toEqual([
      'loadstone_open_sockets',
      'loadstone_accepted_total',
      'loadstone_idle_timeout_seconds',
      'loadstone_buffer_bytes',
      'loadstone_draining',
      'loadstone_http_status2xx',
    ]);
    for (const [name, f] of families) expect(f.type).toBe(name.endsWith('_total') ? 'counter' : 'gauge');
    expect(sampleValue(families, 'loadstone_accepted_total', { name: 'sockets' })).toBe(41);
    expect(sampleValue(families, 'loadstone_idle_timeout_seconds', { name: 'sockets' })).toBe(1.5);
    expect(sampleValue(families, 'loadstone_draining')).toBe(0);
  });

  it('collects plain JSON, skips a source whose stats() throws, and keeps series apart by name', () => {
    const exporter = new PrometheusExporter({ prefix: 'app' })
      .add('a', { stats: () => ({ depth: 1, bad: Number.NaN }) })
      .add('b', { stats: () => ({ depth: 2 }) })
      .add('broken', {
        stats: () => {
          throw new Error('boom');
        },
      });
    const families = exporter.collect();
    expect(JSON.parse(JSON.stringify(families))).toEqual([
      {
        name: 'app_depth',
        help: 'depth.',
        type: 'gauge',
        values: [
          { value: 1, labels: { name: 'a' } },
          { value: 2, labels: { name: 'b' } },
        ],
      },
    ]);
    expect(exporter.remove('b')).toBe(true);
    expect(exporter.remove('b')).toBe(false);
    expect(exporter.collect()[0]?.values).toHaveLength(1);
  });

  it('registers families that appear after register() from the next scrape on', async () => {
    const registry = new Registry();
    const exporter = new PrometheusExporter();
    exporter.register(registry);
    exporter.add('late', { stats: () => ({ depth: 5 }) }); // added after register: registered at once
    let families = parsePrometheusText(await registry.metrics());
    expect(sampleValue(families, 'loadstone_depth', { name: 'late' })).toBe(5);
    let extra = false;
    exporter.add('growing', { stats: () => (extra ? { more: 1 } : {}) });
    extra = true; // a field that appears later: seen by the next scrape, served by the one after
    await registry.metrics();
    families = parsePrometheusText(await registry.metrics());
    expect(sampleValue(families, 'loadstone_more', { name: 'growing' })).toBe(1);
  });

  it('rejects bad options, names, sources and registries with ERR_LOADSTONE_INVALID_OPTION', () => {
    expectInvalidOption(() => new PrometheusExporter({ prefix: '' }), 'options.prefix', 'a non-empty string');
    expectInvalidOption(() => new PrometheusExporter({ prefix: '1x' }), 'options.prefix', 'a metric name');
    expectInvalidOption(() => new PrometheusExporter({ prefix: 'a-b' }), 'options.prefix', 'a metric name');
    expectInvalidOption(() => new PrometheusExporter(42 as never), 'options', 'an object');
    const exporter = new PrometheusExporter().add('x', { stats: () => ({}) });
    expectInvalidOption(() => exporter.add('x', { stats: () => ({}) }), 'name', 'a name not already added');
    expectInvalidOption(() => exporter.add('', { stats: () => ({}) }), 'name', 'a non-empty string');
    expectInvalidOption(() => exporter.add('y', {} as never), 'source', 'a loadstone primitive');
    expectInvalidOption(() => exporter.add('y', null as never), 'source', 'a loadstone primitive');
    const supervisor = new ClusterSupervisor({ workers: 1, handleSignals: false });
    expectInvalidOption(() => exporter.add('y', supervisor), 'source', 'a primitive or MetricsSource');
    expectInvalidOption(() => exporter.addSupervisor({} as never), 'supervisor', 'a ClusterSupervisor');
    exporter.addSupervisor(supervisor);
    expectInvalidOption(
      () => exporter.addSupervisor(supervisor),
      'supervisor',
      'a supervisor not already added',
    );
    expectInvalidOption(() => exporter.register({} as never), 'registry', 'a prom-client Registry');
    expectInvalidOption(() => exporter.register(undefined as never), 'registry', 'a prom-client Registry');
  });

  it("fails with prom-client's own error when a family's name is already registered", () => {
    const registry = new Registry();
    const exporter = new PrometheusExporter().add('x', { stats: () => ({ depth: 1 }) });
    exporter.register(registry);
    expect(() => exporter.register(registry)).toThrow(
      'A metric with the name loadstone_depth has already been registered',
    );
    const other = new PrometheusExporter().add('y', { stats: () => ({ depth: 2 }) });
    expect(() => other.register(registry)).toThrow('already been registered');
  });

  it('serves a ClusterSupervisor: cluster families and workers’ families labelled by slot', async () => {
    const worker = {
      metrics: new PrometheusExporter().add('jobs', { stats: () => ({ depth: 4 }) }).collect(),
    };
    const fake = {
      stats: () => ({
        state: 'running',
        desiredWorkers: 2,
        restarts: 1,
        crashes: 1,
        droppedMessages: 0,
        reloads: 3,
        workers: [
          { ...workerStats('w0', 'ready', 5_000), ...worker },
          { ...workerStats('w1', 'draining', 9_000), ...worker }, // draining: its series vanish
          { ...workerStats('w1', 'ready', 1_000), ...worker }, // its replacement speaks for w1
          { ...workerStats('w2', 'starting', 100) },
        ],
      }),
    };
    const families = await scrape(new PrometheusExporter().addSupervisor(fake as never));
    expect(sampleValue(families, 'loadstone_cluster_workers', { state: 'ready' })).toBe(2);
    expect(sampleValue(families, 'loadstone_cluster_workers', { state: 'draining' })).toBe(1);
    expect(sampleValue(families, 'loadstone_cluster_reloads_total')).toBe(3);
    expect(sampleValue(families, 'loadstone_cluster_state', { state: 'running' })).toBe(1);
    expect(sampleValue(families, 'loadstone_cluster_state', { state: 'crashed' })).toBe(0);
    expect(sampleValue(families, 'loadstone_cluster_worker_ready', { worker: 'w2' })).toBe(0);
    expect(samplesOf(families, 'loadstone_cluster_worker_uptime_seconds', { worker: 'w1' })).toEqual([
      { name: 'loadstone_cluster_worker_uptime_seconds', labels: { worker: 'w1' }, value: 1 },
    ]);
    expect(sampleValue(families, 'loadstone_cluster_worker_resident_memory_bytes', { worker: 'w0' })).toBe(
      1e8,
    );
    expect(samplesOf(families, 'loadstone_depth').map((s) => s.labels)).toEqual([
      { name: 'jobs', worker: 'w0' },
      { name: 'jobs', worker: 'w1' },
    ]);
    expect(sampleValue(families, 'loadstone_depth')).toBe(8); // sum by name: the cluster's total
  });

  it('runs the cluster setup: the worker registers its cache and ships its families, the primary serves them', async () => {
    const setUp = (server: import('node:http').Server) => {
      // #region cluster
      // import { Registry } from 'prom-client';
      // import { supervise } from 'loadstone/cluster';
      // import { PrometheusExporter } from 'loadstone/prometheus';
      const registry = new Registry();
      const result = supervise(
        (ctx) => {
          // In each worker: its primitives' families ride on heartbeats to the primary.
          const cache = new TieredCache({ tiers: [new MemoryTier({ maxEntries: 1_000 })] });
          ctx.register(cache);
          ctx.useMetrics(new PrometheusExporter().add('profiles', cache));
          return server;
        },
        // In the primary: a private listener serves GET /metrics from the registry.
        { port: 3000, metrics: { port: 9464, host: '127.0.0.1', registry } },
      );
      if (result.role === 'primary') {
        new PrometheusExporter().addSupervisor(result).register(registry);
      }
      // #endregion cluster
    };
    const server = {} as import('node:http').Server;
    const supervised = vi.mocked(supervise);
    // As a worker: supervise runs the factory with the worker's context.
    const registered: unknown[] = [];
    const shipped: { collect(): unknown }[] = [];
    supervised.mockImplementationOnce((factory) => {
      const ctx = {
        register: (closeable: unknown) => registered.push(closeable),
        useMetrics: (source: { collect(): unknown }) => shipped.push(source),
      };
      expect(factory(ctx as never)).toBe(server);
      return { role: 'worker' } as never;
    });
    setUp(server);
    expect(registered).toHaveLength(1);
    const cache = registered[0] as TieredCache;
    closers.push(() => cache.close());
    expect(cache).toBeInstanceOf(TieredCache);
    expect(shipped).toHaveLength(1);
    await cache.set('k', 1);
    await cache.get('k');
    // As the primary: the heartbeats' families (what the worker shipped) reach its registry.
    const metrics = (shipped[0] as PrometheusExporter).collect();
    const primary = {
      role: 'primary',
      stats: () => ({
        state: 'running',
        desiredWorkers: 1,
        restarts: 0,
        crashes: 0,
        droppedMessages: 0,
        reloads: 0,
        workers: [{ ...workerStats('w0', 'ready', 1_000), metrics }],
      }),
    };
    supervised.mockImplementationOnce(() => primary as never);
    setUp(server);
    expect(supervised.mock.calls.map(([, options]) => options)).toEqual([
      { port: 3000, metrics: { port: 9464, host: '127.0.0.1', registry: expect.any(Registry) } },
      { port: 3000, metrics: { port: 9464, host: '127.0.0.1', registry: expect.any(Registry) } },
    ]);
    const registry = supervised.mock.calls[1]?.[1]?.metrics?.registry as Registry;
    const families = parsePrometheusText(await registry.metrics());
    expect(sampleValue(families, 'loadstone_cluster_workers', { state: 'ready' })).toBe(1);
    expect(sampleValue(families, 'loadstone_cache_hits_total', { name: 'profiles', worker: 'w0' })).toBe(1);
    // The worker's own registry got nothing: only the primary registers the exporter.
    const workerRegistry = supervised.mock.calls[0]?.[1]?.metrics?.registry as Registry;
    expect(await workerRegistry.getMetricsAsJSON()).toEqual([]);
  });

  it('never imports prom-client at run time', () => {
    // Every shipped file of the module, so a mapping added later is covered too.
    const files = readdirSync(new URL('.', import.meta.url)).filter(
      (file) => file.endsWith('.ts') && !file.endsWith('.test.ts'),
    );
    expect(files).toContain('PrometheusExporter.ts');
    for (const file of files) {
      const source = readFileSync(new URL(`./${file}`, import.meta.url), 'utf8');
      expect(source).not.toMatch(/from 'prom-client'|require\('prom-client'\)/);
    }
  });
});

function workerStats(slot: string, state: 'starting' | 'ready' | 'draining', uptimeMs: number) {
  return {
    slot,
    id: 1,
    pid: 1,
    state,
    uptimeMs,
    restarts: 0,
    rssBytes: 1e8,
    heapUsedBytes: 5e7,
    eventLoopDelayMs: 1,
    eventLoopDelayP99Ms: 2,
    eventLoopUtilization: 0.1,
    requestsInFlight: 0,
    requestsTotal: 10,
    lastHeartbeatAgeMs: 100,
  };
}
