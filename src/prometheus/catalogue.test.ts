// The exported metric catalogue is a contract: dashboards and alerts name these families. One of
// every mapped primitive is scraped; each family's name, type and labels must be in the table of
// docs/prometheus.md and each row of that table must be exported, and the HELP texts are pinned in
// catalogue.snapshot.txt (update it with `npx vitest run -u` when a text changes on purpose).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Registry } from 'prom-client';
import { afterAll, describe, expect, it } from 'vitest';
import { type PromFamily, parsePrometheusText } from '../../test/helpers/promText.js';
import { LoadBalancer } from '../balancing/index.js';
import { MemoryTier, TieredCache } from '../cache/index.js';
import { ClusterBusRelay } from '../cluster/index.js';
import { HealthMonitor } from '../health/index.js';
import { JobQueue } from '../jobs/index.js';
import { ConnectionPoolManager } from '../pool/index.js';
import { BatchProcessor, PriorityTaskQueue } from '../queue/index.js';
import { CircuitBreaker, RateLimiter } from '../resilience/index.js';
import { WorkerThreadPool } from '../threads/index.js';
import { PrometheusExporter } from './index.js';

const TASKS = fileURLToPath(new URL('../../test/fixtures/threads/tasks.mjs', import.meta.url));
const DOCS = new URL('../../docs/prometheus.md', import.meta.url);
const closers: (() => unknown)[] = [];
afterAll(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** One of each primitive the exporter maps, each used once so that every family has a series. */
async function everyKind(): Promise<PrometheusExporter> {
  const threads = new WorkerThreadPool({ filename: TASKS, maxThreads: 1 });
  closers.push(() => threads.close());
  await threads.run({ a: 1, b: 2 }, { name: 'add' });
  const queue = new PriorityTaskQueue({ concurrency: 1 });
  closers.push(() => queue.close());
  await queue.add(async () => 1);
  const batch = new BatchProcessor<number, number>({ process: async (items) => items });
  closers.push(() => batch.close());
  const jobs = new JobQueue<number>({ name: 'mail' });
  await jobs.counts(); // the depth family appears once counted
  const pools = new ConnectionPoolManager();
  closers.push(() => pools.close());
  const pool = pools.register('pg', { create: () => ({}) }, { max: 2 });
  const cache = new TieredCache({ tiers: [new MemoryTier({ maxEntries: 10 })] });
  closers.push(() => cache.close());
  const monitor = new HealthMonitor({
    intervalMs: 3_600_000,
    checks: [{ name: 'redis', check: async () => ({ status: 'healthy' }) }],
  });
  closers.push(() => monitor.destroy());
  await monitor.refresh();
  const balancer = new LoadBalancer({ backends: [{ id: 'a', target: 'http://a' }] }); // peak-EWMA
  closers.push(() => balancer.close());
  await balancer.run(async () => 'ok');
  const breaker = new CircuitBreaker({ name: 'dep', failureRatio: 0.5, minimumCalls: 5 });
  await breaker.execute(async () => 1);
  const supervisor = { stats: () => CLUSTER };
  return new PrometheusExporter()
    .add('cpu', threads)
    .add('work', queue)
    .add('writes', batch)
    .add('mail', jobs)
    .add('db', pools)
    .add('pg', pool)
    .add('profiles', cache)
    .add('app', monitor)
    .add('upstream', balancer)
    .add('dep', breaker)
    .add('login', new RateLimiter({ limit: 1, periodMs: 60_000 }))
    .add('bus', new ClusterBusRelay({ workers: () => [] }))
    .addSupervisor(supervisor as never);
}

const CLUSTER = {
  state: 'running',
  desiredWorkers: 1,
  restarts: 0,
  crashes: 0,
  droppedMessages: 0,
  reloads: 0,
  workers: [
    {
      slot: 'w0',
      id: 1,
      pid: 1,
      state: 'ready',
      uptimeMs: 1,
      restarts: 0,
      rssBytes: 1,
      heapUsedBytes: 1,
      eventLoopDelayMs: 1,
      eventLoopDelayP99Ms: 1,
      eventLoopUtilization: 0.1,
      requestsInFlight: 0,
      requestsTotal: 0,
      lastHeartbeatAgeMs: 1,
    },
  ],
};

type Row = { names: string[]; type: string; labels: string[] };

/** The rows of the "Metric names" table: `a` / `_b` / `_c` each expanded against `exported`. */
function documentedRows(exported: ReadonlySet<string>): Row[] {
  const text = readFileSync(DOCS, 'utf8');
  const table = text.slice(text.indexOf('| Metric | Type |'), text.indexOf('### Any other MetricsSource'));
  const rows: Row[] = [];
  let sectionLabels: string[] = [];
  for (const line of table.split('\n').slice(2)) {
    if (!line.startsWith('|')) continue;
    const [first = '', type = '', labels = ''] = line
      .split('|')
      .slice(1, 4)
      .map((cell) => cell.trim());
    const labelNames = [...labels.replace(/\([^)]*\)/g, '').matchAll(/`([a-z_]+)`/g)].map((m) => m[1] ?? '');
    if (first.startsWith('**')) {
      sectionLabels = labelNames;
      continue;
    }
    const [head = '', ...tails] = [...first.matchAll(/`([a-z_0-9]+)`/g)].map((m) => m[1] ?? '');
    const names = [head, ...tails.map((tail) => expand(head, tail, exported))];
    rows.push({ names, type, labels: [...sectionLabels, ...labelNames].filter((l) => l !== 'quantile') });
  }
  return rows;
}

/**
 * `_tail` after the longest of `head`'s `_`-prefixes (`head` itself included) that makes an
 * exported name: `loadstone_balancer_backend_requests_total` / `_failures_total` is the backend's
 * failures, `loadstone_pool_resources` / `_idle` is `loadstone_pool_resources_idle`.
 */
function expand(head: string, tail: string, exported: ReadonlySet<string>): string {
  for (let at = head.length; at > 0; at = head.lastIndexOf('_', at - 1)) {
    const name = head.slice(0, at) + tail;
    if (exported.has(name)) return name;
  }
  return `${head} / ${tail} (not exported)`;
}

/** A family's label names, less `name` (every series has it) and `quantile`. */
function labelsOf(family: PromFamily): string[] {
  const names = new Set<string>();
  for (const sample of family.samples) for (const label of Object.keys(sample.labels)) names.add(label);
  for (const common of ['name', 'quantile']) names.delete(common);
  return [...names].sort();
}

describe('the exported metric catalogue', () => {
  it('is the table of docs/prometheus.md, name for name, with types and labels, and its HELP texts', async () => {
    const registry = new Registry();
    (await everyKind()).register(registry);
    const families = parsePrometheusText(await registry.metrics());
    const exported = new Set(families.keys());
    const documented = new Map<string, { type: string; labels: string[] }>();
    for (const row of documentedRows(exported)) {
      const type = row.type === 'state set' ? 'gauge' : row.type;
      for (const name of row.names) documented.set(name, { type, labels: [...row.labels].sort() });
    }
    const actual = new Map([...families].map(([name, f]) => [name, { type: f.type, labels: labelsOf(f) }]));
    expect(Object.fromEntries([...actual].sort())).toEqual(Object.fromEntries([...documented].sort()));
    const help = [...families].map(([name, f]) => `${name} (${f.type}): ${f.help}`).sort();
    await expect(`${help.join('\n')}\n`).toMatchFileSnapshot('./catalogue.snapshot.txt');
  });
});
