import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { killAllPrimaries, startPrimary } from '../helpers/clusterPrimary.js';
import { httpGet as get, type Reply } from '../helpers/httpGet.js';
import { type PromFamily, parsePrometheusText, samplesOf, sampleValue } from '../helpers/promText.js';

afterAll(() => {
  killAllPrimaries();
});

/**
 * Scrapes until `done` holds: heartbeats carry the workers' figures every 100 ms, and no event
 * tells the test that one arrived. Bounded; the last scrape is returned either way.
 */
async function scrapeUntil(
  port: number,
  done: (families: Map<string, PromFamily>) => boolean,
  timeoutMs = 15_000,
): Promise<{ families: Map<string, PromFamily>; reply: Reply }> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const reply = await get(port, '/metrics');
    expect(reply.status).toBe(200);
    const families = parsePrometheusText(reply.body);
    if (done(families) || performance.now() > deadline) return { families, reply };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const bothWorkers = (families: Map<string, PromFamily>, name: string, labels: Record<string, string>) =>
  sampleValue(families, name, { ...labels, worker: 'w0' }) !== undefined &&
  sampleValue(families, name, { ...labels, worker: 'w1' }) !== undefined;

describe('loadstone/prometheus in a cluster', () => {
  it("serves every worker's families and the cluster's on the primary's /metrics", async () => {
    const primary = startPrimary('prometheus-app.mjs');
    const started = await primary.waitFor('started');
    const port = started.port as number;
    const metricsPort = started.metrics as number;

    const requests = 20;
    for (let i = 0; i < requests; i++) expect((await get(port, '/')).body).toBe('v');

    const { families, reply } = await scrapeUntil(
      metricsPort,
      (f) =>
        bothWorkers(f, 'loadstone_pool_resources_max', { name: 'db', pool: 'pg' }) &&
        sampleValue(f, 'loadstone_pool_acquires_total', { name: 'db' }) === requests,
    );
    expect(reply.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');

    // Each worker's own families, labelled with its slot; summed by name they are the cluster's.
    for (const worker of ['w0', 'w1']) {
      expect(sampleValue(families, 'loadstone_pool_resources_max', { name: 'db', pool: 'pg', worker })).toBe(
        4,
      );
      expect(
        sampleValue(families, 'loadstone_cache_hits_total', { name: 'profiles', worker }),
      ).toBeGreaterThanOrEqual(0);
      expect(
        sampleValue(families, 'loadstone_cluster_worker_resident_memory_bytes', { worker }),
      ).toBeGreaterThan(1e6);
      expect(sampleValue(families, 'loadstone_cluster_worker_heap_used_bytes', { worker })).toBeGreaterThan(
        0,
      );
      expect(sampleValue(families, 'loadstone_cluster_worker_ready', { worker })).toBe(1);
    }
    expect(sampleValue(families, 'loadstone_pool_acquires_total', { name: 'db' })).toBe(requests);
    expect(sampleValue(families, 'loadstone_cluster_worker_requests_total')).toBe(requests);
    const hits = sampleValue(families, 'loadstone_cache_hits_total', { name: 'profiles' }) ?? 0;
    const misses = sampleValue(families, 'loadstone_cache_misses_total', { name: 'profiles' }) ?? 0;
    expect(hits + misses).toBe(requests);
    expect(misses).toBeGreaterThanOrEqual(1); // the first request on each worker loads
    expect(misses).toBeLessThanOrEqual(2);
    expect(families.get('loadstone_pool_acquire_wait_seconds')?.type).toBe('summary');
    expect(samplesOf(families, 'loadstone_pool_acquire_wait_seconds_count', { name: 'db' })).toHaveLength(2);

    // The cluster's own families.
    expect(families.get('loadstone_cluster_workers')?.type).toBe('gauge');
    expect(sampleValue(families, 'loadstone_cluster_workers', { state: 'ready' })).toBe(2);
    expect(sampleValue(families, 'loadstone_cluster_desired_workers')).toBe(2);
    expect(families.get('loadstone_cluster_restarts_total')?.type).toBe('counter');
    expect(sampleValue(families, 'loadstone_cluster_crashes_total')).toBe(0);
    expect(sampleValue(families, 'loadstone_cluster_dropped_messages_total')).toBe(0);

    // GET / keeps the JSON, with each worker's reported families.
    const json = JSON.parse((await get(metricsPort, '/')).body) as {
      workers: { slot: string; metrics?: { name: string }[] }[];
    };
    expect(json.workers).toHaveLength(2);
    for (const w of json.workers)
      expect(w.metrics?.some((f) => f.name === 'loadstone_pool_acquires_total')).toBe(true);

    // A worker sending malformed metrics: dropped and counted, the heartbeat itself still counts.
    let brokenSlot = '';
    const broken = await get(port, '/broken');
    brokenSlot = String(broken.headers['x-slot']);
    const dropped = await primary.waitFor(
      'message:dropped',
      (p) => p.reason === 'invalid heartbeat field metrics',
    );
    expect(dropped.type).toBe('worker:heartbeat');
    const after = await scrapeUntil(
      metricsPort,
      (f) => sampleValue(f, 'loadstone_pool_resources_max', { worker: brokenSlot }) === undefined,
    );
    expect(
      sampleValue(after.families, 'loadstone_pool_resources_max', { worker: brokenSlot }),
    ).toBeUndefined();
    expect(sampleValue(after.families, 'loadstone_cluster_dropped_messages_total')).toBeGreaterThanOrEqual(1);
    expect(sampleValue(after.families, 'loadstone_cluster_worker_ready', { worker: brokenSlot })).toBe(1);

    primary.child.kill('SIGTERM');
    const exit = await primary.exited;
    expect(exit.code).toBe(0);
  });

  it('answers 500 with the message when the registry rejects, and keeps GET / as JSON', async () => {
    const primary = startPrimary('prometheus-app.mjs', { FIXTURE_REGISTRY: 'reject' });
    const started = await primary.waitFor('started');
    const failed = await get(started.metrics as number, '/metrics');
    expect(failed.status).toBe(500);
    expect(failed.body).toContain('registry down');
    const json = await get(started.metrics as number, '/');
    expect(json.headers['content-type']).toBe('application/json');
    expect((JSON.parse(json.body) as { state: string }).state).toBe('running');
    primary.child.kill('SIGTERM');
    expect((await primary.exited).code).toBe(0);
  });

  it('the built loadstone/prometheus never imports prom-client (it is an optional peer)', () => {
    for (const file of ['index.js', 'index.cjs']) {
      const built = readFileSync(new URL(`../../dist/prometheus/${file}`, import.meta.url), 'utf8');
      expect(built).toContain('PrometheusExporter');
      // Comments mention it; no import, require or dynamic import may.
      expect(built).not.toMatch(/from\s*["']prom-client["']|(?:require|import)\(\s*["']prom-client["']\s*\)/);
    }
  });
});
