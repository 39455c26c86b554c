import { type FamilyBuilder, isLatencySnapshot } from './FamilyBuilder.js';
import type { Labels, Stats } from './Kind.js';

/**
 * The generic mapping for a `MetricsSource` that is not a known primitive: each finite number
 * (and boolean, as 1/0) becomes a gauge `<prefix>_<field_in_snake_case>`, except a number field
 * ending in `Total`, which becomes a counter `…_total` (the one way a plain snapshot can say
 * "this only grows"); a field ending in `Ms`
 * becomes `_seconds` (divided by 1000), one ending in `Bytes` becomes `_bytes`; a nested
 * latency snapshot becomes a summary; other nested objects are walked with their field name
 * joined by `_`; strings, arrays and `null` are left out.
 * @internal
 */
export function mapGeneric(b: FamilyBuilder, stats: Stats, labels: Labels, path = '', depth = 0): void {
  for (const [field, value] of Object.entries(stats)) {
    const name = path + snakeCase(field);
    if (isLatencySnapshot(value)) {
      b.latency(`${name}_seconds`, `${field} latency.`, value, labels);
    } else if (typeof value === 'number' || typeof value === 'boolean') {
      if (typeof value === 'number' && /.Total$/.test(field)) {
        b.counter(name, `${field}.`, value, labels);
      } else if (/.Ms$/.test(field)) {
        b.gauge(
          `${path}${snakeCase(field.slice(0, -2))}_seconds`,
          `${field} in seconds.`,
          value,
          labels,
          1 / 1000,
        );
      } else b.gauge(name, `${field}.`, value, labels);
    } else if (typeof value === 'object' && value !== null && !Array.isArray(value) && depth < 3) {
      mapGeneric(b, value as Stats, labels, `${name}_`, depth + 1);
    }
  }
}

/** `eventLoopDelayP99` → `event_loop_delay_p99`; `heapUsedBytes` → `heap_used_bytes`. */
export function snakeCase(field: string): string {
  return field
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .replace(/[^a-zA-Z0-9_]/g, '_')
    .toLowerCase();
}
