/** Options of {@link PrometheusExporter}. */
export type PrometheusExporterOptions = {
  /**
   * First segment of every metric name (`<prefix>_cache_hits_total`). A valid Prometheus name:
   * letters, digits and `_`, not starting with a digit.
   * @default 'loadstone'
   */
  readonly prefix?: string;
};

/**
 * The part of a prom-client `Registry` the exporter uses (structural: loadstone never imports
 * prom-client). prom-client 15's `Registry` fits.
 */
export type PrometheusRegistry = {
  /** Registers a custom metric; prom-client throws when the name is taken by another metric. */
  registerMetric(metric: never): void;
  /** Renders every registered metric in the text format. */
  metrics(): Promise<string>;
};
