// Every MetricsSource as OpenTelemetry observable instruments, through the Prometheus module's
// mapping of each primitive's stats (the same families `PrometheusExporter` serves), renamed to
// OpenTelemetry's conventions; a pool's gauges that have a semantic-convention name get it.
import type { Attributes, BatchObservableResult, Meter, Observable } from '@opentelemetry/api';
import type { MetricFamily, PrometheusExporter } from '../prometheus/index.js';
import {
  ATTR_DB_CLIENT_CONNECTION_POOL_NAME,
  ATTR_DB_CLIENT_CONNECTION_STATE,
  DB_CLIENT_CONNECTION_COUNT,
  DB_CLIENT_CONNECTION_MAX,
  DB_CLIENT_CONNECTION_PENDING_REQUESTS,
  DB_CLIENT_CONNECTION_TIMEOUTS,
} from './semconv.js';

type Kind = 'gauge' | 'counter' | 'updown';
/** Where one Prometheus sample goes: an instrument and the attributes to observe it with. */
type Target = {
  readonly name: string;
  readonly kind: Kind;
  readonly unit?: string;
  readonly attributes: Attributes;
};

/** Pool families with a semantic-convention instrument: name, kind, extra attributes. */
const POOL_SEMCONV: Readonly<Record<string, readonly [string, Kind, Attributes]>> = {
  pool_resources_idle: [DB_CLIENT_CONNECTION_COUNT, 'updown', { [ATTR_DB_CLIENT_CONNECTION_STATE]: 'idle' }],
  pool_resources_borrowed: [
    DB_CLIENT_CONNECTION_COUNT,
    'updown',
    { [ATTR_DB_CLIENT_CONNECTION_STATE]: 'used' },
  ],
  pool_resources_max: [DB_CLIENT_CONNECTION_MAX, 'updown', {}],
  pool_acquires_waiting: [DB_CLIENT_CONNECTION_PENDING_REQUESTS, 'updown', {}],
  pool_acquire_timeouts_total: [DB_CLIENT_CONNECTION_TIMEOUTS, 'counter', {}],
};

/**
 * Where a sample of `family` goes. `loadstone_cache_hits_total` → counter `loadstone.cache.hits`;
 * `…_seconds` gets unit `s`, `…_bytes` `By`; a summary's quantiles are a gauge with a `quantile`
 * attribute and its `_sum`/`_count` two counters.
 */
export function targetOf(
  family: MetricFamily,
  sample: MetricFamily['values'][number],
  prefix: string,
): Target {
  const labels: Attributes = { ...sample.labels };
  const local = family.name.startsWith(`${prefix}_`) ? family.name.slice(prefix.length + 1) : family.name;
  const semconv = POOL_SEMCONV[local];
  if (semconv !== undefined && typeof labels.pool === 'string') {
    const [name, kind, extra] = semconv;
    const { pool, ...rest } = labels;
    return {
      name,
      kind,
      unit: '{connection}',
      attributes: { ...rest, ...extra, [ATTR_DB_CLIENT_CONNECTION_POOL_NAME]: pool },
    };
  }
  const dotted = `${prefix}.${local.replace('_', '.')}`; // module, then the field
  const unit = /_seconds(_total)?$/.test(local) ? 's' : /_bytes(_total)?$/.test(local) ? 'By' : undefined;
  const withUnit = (target: Target): Target => (unit === undefined ? target : { ...target, unit });
  if (family.type === 'counter')
    return withUnit({ name: dotted.replace(/_total$/, ''), kind: 'counter', attributes: labels });
  if (family.type === 'summary') {
    const own = sample.metricName;
    if (own?.endsWith('_sum'))
      return withUnit({ name: `${dotted}.sum`, kind: 'counter', attributes: labels });
    if (own?.endsWith('_count')) return { name: `${dotted}.count`, kind: 'counter', attributes: labels };
  }
  return withUnit({ name: dotted, kind: 'gauge', attributes: labels });
}

/**
 * Observes every family of `exporter` at each collection. Instruments are made as families first
 * appear (at `refresh()` and during collections; one first seen during a collection is observed
 * from the next).
 */
export class FamilyInstruments {
  readonly #meter: Meter;
  readonly #exporter: PrometheusExporter;
  readonly #prefix: string;
  readonly #instruments = new Map<string, Observable>();
  #registered: Observable[] = [];

  constructor(meter: Meter, exporter: PrometheusExporter, prefix: string) {
    this.#meter = meter;
    this.#exporter = exporter;
    this.#prefix = prefix;
    this.refresh();
  }

  /** Makes the instruments of families that appeared since (after an `add`). */
  refresh(): void {
    if (this.#ensure(this.#exporter.collect())) this.#register();
  }

  close(): void {
    if (this.#registered.length > 0)
      this.#meter.removeBatchObservableCallback(this.#observe, this.#registered);
    this.#registered = [];
  }

  readonly #observe = (result: BatchObservableResult): void => {
    const families = this.#exporter.collect();
    for (const family of families) {
      for (const sample of family.values) {
        const target = targetOf(family, sample, this.#prefix);
        const instrument = this.#instruments.get(target.name);
        if (instrument !== undefined) result.observe(instrument, sample.value, target.attributes);
      }
    }
    // New families (a pool registered since, a first latency sample): observed from the next one.
    if (this.#ensure(families)) queueMicrotask(() => this.#register());
  };

  /** @returns whether an instrument was made. */
  #ensure(families: readonly MetricFamily[]): boolean {
    let made = false;
    for (const family of families) {
      for (const sample of family.values) {
        const target = targetOf(family, sample, this.#prefix);
        if (this.#instruments.has(target.name)) continue;
        const options = {
          description: family.help,
          ...(target.unit === undefined ? {} : { unit: target.unit }),
        };
        const m = this.#meter;
        let instrument: Observable;
        if (target.kind === 'counter') instrument = m.createObservableCounter(target.name, options);
        else if (target.kind === 'updown') instrument = m.createObservableUpDownCounter(target.name, options);
        else instrument = m.createObservableGauge(target.name, options);
        this.#instruments.set(target.name, instrument);
        made = true;
      }
    }
    return made;
  }

  #register(): void {
    this.close();
    this.#registered = [...this.#instruments.values()];
    this.#meter.addBatchObservableCallback(this.#observe, this.#registered);
  }
}
