/**
 * Every primitive's `stats()` as Prometheus metrics on a prom-client registry (prom-client is an
 * optional peer dependency, used structurally and never imported), aggregated across cluster
 * workers in the primary.
 *
 * @module loadstone/prometheus
 */
export type { MetricFamily, MetricSample, MetricType } from './MetricFamily.js';
export { PrometheusExporter } from './PrometheusExporter.js';
export type { PrometheusExporterOptions, PrometheusRegistry } from './PrometheusExporterOptions.js';
