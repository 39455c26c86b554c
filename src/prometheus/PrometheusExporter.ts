import { ClusterSupervisor } from '../cluster/index.js';
import { InvalidOptionError } from '../core/errors/InvalidOptionError.js';
import {
  checkOptionKeys,
  nonEmptyStringOption,
  optionNames,
  optionsObject,
} from '../core/internal/validate.js';
import { mapCluster } from './clusterFamilies.js';
import { FamilyBuilder } from './FamilyBuilder.js';
import type { Kind } from './Kind.js';
import { KINDS } from './kinds.js';
import type { MetricFamily } from './MetricFamily.js';
import { mapGeneric } from './mapGeneric.js';
import type { PrometheusExporterOptions, PrometheusRegistry } from './PrometheusExporterOptions.js';

type Source = {
  readonly name: string;
  readonly source: { stats(): unknown };
  readonly kind: Kind | undefined;
};

/** What prom-client's `Registry` calls on a registered metric. */
type CustomMetric = {
  readonly name: string;
  readonly help: string;
  readonly type: string;
  readonly aggregator: 'sum';
  get(): Promise<MetricFamily>;
  reset(): void;
};

const PREFIX = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

const OPTIONS = optionNames<PrometheusExporterOptions>()(['prefix']);

/**
 * Exports loadstone primitives' `stats()` to Prometheus: `add` each primitive (or any
 * `MetricsSource`) under a name, then `register` the exporter on a prom-client `Registry`. Every
 * scrape reads fresh stats. Names follow the Prometheus conventions
 * (`loadstone_<module>_<what>[_unit][_total]`: counters end in `_total`, durations are in seconds,
 * sizes in bytes), every series carries `name="<the name given>"`, and the hdr latency recorders
 * become summaries with quantiles 0.5, 0.9 and 0.99 plus `_sum` and `_count`.
 *
 * In a cluster, each worker calls `ctx.useMetrics(exporter)` so its families ride on heartbeats,
 * and the primary's exporter calls {@link PrometheusExporter.addSupervisor}: it serves the
 * `loadstone_cluster_*` families and every worker's families labelled `worker="<slot>"`.
 *
 * prom-client is never imported (it is an optional peer dependency): the registry is used
 * structurally, so this module loads and type-checks without it.
 *
 * @example
 * {@includeCode ./PrometheusExporter.test.ts#singleProcess}
 * @example
 * {@includeCode ./PrometheusExporter.test.ts#cluster}
 */
export class PrometheusExporter {
  readonly #prefix: string;
  readonly #sources: Source[] = [];
  readonly #supervisors: { stats(): unknown }[] = [];
  readonly #registries = new Map<PrometheusRegistry, Set<string>>();
  #scrape: Map<string, MetricFamily> | undefined;

  /**
   * @param options - the metric name prefix.
   * @throws {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION` for a bad option.
   */
  constructor(options?: PrometheusExporterOptions) {
    const opts = optionsObject<PrometheusExporterOptions>('options', options);
    checkOptionKeys(opts, OPTIONS, 'PrometheusExporter');
    const prefix =
      opts.prefix === undefined ? 'loadstone' : nonEmptyStringOption('options.prefix', opts.prefix);
    if (!PREFIX.test(prefix)) {
      throw new InvalidOptionError(
        'options.prefix',
        'a metric name (letters, digits and _, not starting with a digit)',
        prefix,
      );
    }
    this.#prefix = prefix;
  }

  /**
   * Adds a source. A loadstone primitive — `WorkerThreadPool`, `PriorityTaskQueue`,
   * `BatchProcessor`, `ConnectionPoolManager` (label `pool` per pool), `ConnectionPool`,
   * `TieredCache` (label `tier` on the tier families), `HealthMonitor`, `LoadBalancer` (label
   * `backend`), `CircuitBreaker`, `RateLimiter`, `ClusterBusRelay` — gets its own families (see
   * the guide's table). Any other object with `stats()` gets the generic mapping: each number or
   * boolean field becomes a gauge `<prefix>_<field_in_snake_case>` (a number field ending in
   * `Total` a counter; `…Ms` fields become `_seconds`), latency snapshots
   * become summaries, nested objects are walked. A source whose `stats()` throws is skipped for
   * that scrape.
   *
   * @param name - the value of the `name` label on this source's series; unique in this exporter.
   * @param source - the primitive or `MetricsSource`.
   * @returns this exporter, for chaining.
   * @throws {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION` for an empty or already
   * added name, a source without `stats()`, or a `ClusterSupervisor` (use `addSupervisor`).
   *
   * @example
   * {@includeCode ./PrometheusExporter.test.ts#genericSource}
   */
  add(name: string, source: { stats(): unknown }): this {
    nonEmptyStringOption('name', name);
    if (this.#sources.some((s) => s.name === name)) {
      throw new InvalidOptionError('name', 'a name not already added to this exporter', name);
    }
    if (source instanceof ClusterSupervisor) {
      throw new InvalidOptionError(
        'source',
        'a primitive or MetricsSource (for a ClusterSupervisor use addSupervisor)',
        source,
      );
    }
    if (typeof source !== 'object' || source === null || typeof source.stats !== 'function') {
      throw new InvalidOptionError('source', 'a loadstone primitive or an object with stats()', source);
    }
    this.#sources.push({ name, source, kind: KINDS.find((k) => k.is(source)) });
    if (this.#registries.size > 0) this.#discover(this.collect());
    return this;
  }

  /**
   * Removes the source added under `name`; its series disappear from the next scrape.
   *
   * @param name - the name given to `add`.
   * @returns `true` when there was such a source.
   */
  remove(name: string): boolean {
    const index = this.#sources.findIndex((s) => s.name === name);
    if (index === -1) return false;
    this.#sources.splice(index, 1);
    return true;
  }

  /**
   * Adds a cluster primary: the `<prefix>_cluster_*` families from `supervisor.stats()` (workers
   * by state, restarts, crashes, reloads, dropped IPC messages, and per worker memory, event-loop
   * delay and utilisation, requests, labelled `worker="<slot>"`) and every family the workers
   * reported through `ctx.useMetrics`, labelled `worker="<slot>"` (sum by name to aggregate).
   * Draining workers' series vanish with them.
   *
   * @param supervisor - the `ClusterSupervisor` (the primary's result of `supervise`).
   * @returns this exporter, for chaining.
   * @throws {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION` for something without
   * `stats()`, or a supervisor already added.
   */
  addSupervisor(supervisor: ClusterSupervisor): this {
    if (typeof supervisor !== 'object' || supervisor === null || typeof supervisor.stats !== 'function') {
      throw new InvalidOptionError('supervisor', 'a ClusterSupervisor', supervisor);
    }
    if (this.#supervisors.includes(supervisor)) {
      throw new InvalidOptionError(
        'supervisor',
        'a supervisor not already added to this exporter',
        supervisor,
      );
    }
    this.#supervisors.push(supervisor);
    // A worker's first heartbeat (with its metrics) arrives just before its ready message, so
    // its families can be registered before the scrape that would otherwise miss them.
    if (typeof supervisor.on === 'function') {
      supervisor.on('worker:ready', () => {
        if (this.#registries.size > 0) this.#discover(this.collect());
      });
    }
    if (this.#registries.size > 0) this.#discover(this.collect());
    return this;
  }

  /**
   * Reads every source now and returns the families as plain JSON: the form `ctx.useMetrics`
   * sends to the primary, and what the registered metrics serve.
   *
   * @returns a fresh array of families, in a stable order.
   */
  collect(): MetricFamily[] {
    const b = new FamilyBuilder(this.#prefix);
    for (const { name, source, kind } of this.#sources) {
      let stats: unknown;
      try {
        stats = source.stats();
      } catch {
        continue; // one broken source must not cost the whole scrape
      }
      if (typeof stats !== 'object' || stats === null) continue;
      const labels = { name };
      if (kind === undefined) mapGeneric(b, stats as Record<string, unknown>, labels);
      else kind.map(b, stats as Record<string, unknown>, labels);
    }
    for (const supervisor of this.#supervisors) {
      try {
        mapCluster(b, supervisor.stats() as Parameters<typeof mapCluster>[1]);
      } catch {
        // same as a broken source
      }
    }
    return b.families();
  }

  /**
   * Registers the exporter's families on a prom-client `Registry` (a custom metric per family,
   * read at scrape time). Families that appear later are registered as they are seen: at once for
   * a source added afterwards and for a worker that becomes ready (its first heartbeat came with
   * its ready message), else (a pool added to a manager later, say) at a scrape, and served from
   * the next one, since prom-client lists its metrics before reading them. A family whose
   * name is taken by another metric registered later is skipped, with a
   * `LOADSTONE_WARN_PROMETHEUS_NAME_TAKEN` process warning once per name.
   *
   * @param registry - a prom-client `Registry` (or anything with `registerMetric` and `metrics`).
   * @throws {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION` when `registry` is not a registry.
   * @throws Error prom-client's own "A metric with the name … has already been registered" when
   * a family's name is already taken in `registry` (registering one exporter twice, say).
   */
  register(registry: PrometheusRegistry): void {
    const r = registry as Partial<PrometheusRegistry> | null;
    if (
      typeof r !== 'object' ||
      r === null ||
      typeof r.registerMetric !== 'function' ||
      typeof r.metrics !== 'function'
    ) {
      throw new InvalidOptionError(
        'registry',
        'a prom-client Registry (with registerMetric() and metrics())',
        registry,
      );
    }
    const names = new Set<string>();
    for (const family of this.collect()) {
      registry.registerMetric(this.#metric(family) as never);
      names.add(family.name);
    }
    this.#registries.set(registry, names);
  }

  /** Registers families not registered yet (they are served from the next scrape on). */
  #discover(families: Iterable<MetricFamily>): void {
    const list = [...families];
    for (const [registry, names] of this.#registries) {
      for (const family of list) {
        if (names.has(family.name)) continue;
        names.add(family.name);
        try {
          registry.registerMetric(this.#metric(family) as never);
        } catch (error) {
          process.emitWarning(
            `Prometheus metric ${family.name} not registered: ${(error as Error).message}`,
            {
              code: 'LOADSTONE_WARN_PROMETHEUS_NAME_TAKEN',
            },
          );
        }
      }
    }
  }

  #metric(family: MetricFamily): CustomMetric {
    const { name, help, type } = family;
    return {
      name,
      help,
      type,
      aggregator: 'sum',
      get: async () => this.#scrapeFamilies().get(name) ?? { name, help, type, values: [] },
      reset: () => {},
    };
  }

  /**
   * One collect per scrape: prom-client calls every metric's `get()` in the same tick, so the
   * first call collects and the result is shared until the tick ends (consistent across families).
   */
  #scrapeFamilies(): Map<string, MetricFamily> {
    if (this.#scrape !== undefined) return this.#scrape;
    const families = new Map(this.collect().map((f) => [f.name, f] as const));
    this.#scrape = families;
    queueMicrotask(() => {
      this.#scrape = undefined;
    });
    this.#discover(families.values());
    return families;
  }
}
