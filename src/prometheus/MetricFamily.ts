/**
 * The plain-JSON form of Prometheus metric families that {@link PrometheusExporter.collect}
 * returns and workers send to the primary: the same shape prom-client's custom metrics return
 * from `get()`, so it registers on a prom-client `Registry` as is.
 *
 * @module
 */

/** The kinds of family loadstone emits (`histogram` and `untyped` pass through from workers). */
export type MetricType = 'counter' | 'gauge' | 'summary' | 'histogram' | 'untyped';

/** One sample of a family. */
export type MetricSample = {
  /** The value; always finite (non-finite readings are left out). */
  readonly value: number;
  /** Label names to values, e.g. `{ name: 'profiles', tier: 'memory' }`. */
  readonly labels: Readonly<Record<string, string>>;
  /**
   * The sample's own name when it differs from the family's: `<family>_sum` and `<family>_count`
   * of a summary. Left out for the family's main samples.
   */
  readonly metricName?: string;
};

/** One metric family: a name, its help text, its type and its samples. */
export type MetricFamily = {
  /** Full metric name, prefix included, e.g. `loadstone_cache_hits_total`. */
  readonly name: string;
  /** One line of help. */
  readonly help: string;
  /** Prometheus type. */
  readonly type: MetricType;
  /** Samples, one per label set (per quantile and `_sum`/`_count` for summaries). */
  readonly values: readonly MetricSample[];
};
