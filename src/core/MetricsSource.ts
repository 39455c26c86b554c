import type { JsonCompatible } from './Json.js';

/**
 * Something that reports counters and gauges as a plain snapshot. Exporters (Prometheus,
 * OpenTelemetry, a `/stats` endpoint) plug in from outside core by polling `stats()`.
 *
 * @typeParam S - the snapshot's shape; JSON-serialisable, checked by {@link JsonCompatible}.
 *
 * @example
 * {@includeCode ./MetricsSource.test.ts#metricsSource}
 */
export interface MetricsSource<S extends JsonCompatible<S>> {
  /**
   * Takes a snapshot. Each call returns a fresh object that the source never mutates
   * afterwards (the caller may keep or change it) and that survives `JSON.stringify`.
   *
   * @returns the current values.
   */
  stats(): Readonly<S>;
}
