// /metrics: the loadstone primitives through PrometheusExporter, the worker's own counters as
// plain prom-client metrics (read from its stats at scrape time), and Node's default metrics.
import type { HealthMonitor } from 'loadstone/health';
import { PrometheusExporter } from 'loadstone/prometheus';
import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { EnrichmentWorker, WorkerStats } from './worker.js';

/** Counters the worker keeps itself, exported as `queue_workers_<key>_total`. */
const COUNTERS = {
  accepted: 'Jobs whose handler started here.',
  written: 'Jobs whose result is written.',
  failed: 'Jobs whose batch could not be written (the queue retries them).',
  enriched: 'Jobs written with their enrichment.',
  unenriched: 'Jobs written without enrichment (breaker open or retries exhausted).',
  retries: 'Retries of enrichment calls.',
  writeRetries: 'Retries of batch writes.',
} satisfies Partial<Record<keyof WorkerStats, string>>;

export function createMetrics(worker: EnrichmentWorker, monitor: HealthMonitor): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  new PrometheusExporter()
    .add('jobs', worker.queue)
    .add('results', worker.batcher)
    .add('enrichment', worker.breaker)
    .add('process', monitor)
    .register(registry);

  for (const [key, help] of Object.entries(COUNTERS) as [keyof typeof COUNTERS, string][]) {
    const name = `queue_workers_${key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}_total`;
    new Counter({
      name,
      help,
      registers: [registry],
      // The worker owns the count; mirror it at scrape time.
      collect() {
        this.reset();
        this.inc(worker.stats()[key]);
      },
    });
  }
  new Gauge({
    name: 'queue_workers_in_flight',
    help: 'Jobs running here (not yet written).',
    registers: [registry],
    collect() {
      this.set(worker.stats().inFlight);
    },
  });
  return registry;
}
