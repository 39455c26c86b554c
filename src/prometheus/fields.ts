import type { FamilyBuilder } from './FamilyBuilder.js';
import type { Labels, Stats } from './Kind.js';

/** `[stats field, metric name after the module, type, help]`; counters end in `_total`. */
export type Field = readonly [field: string, metric: string, type: 'counter' | 'gauge', help: string];

/** Emits one counter or gauge per row of `table`, named `<module>_<metric>`. */
export function fields(
  b: FamilyBuilder,
  module: string,
  stats: Stats,
  table: readonly Field[],
  labels: Labels,
): void {
  for (const [field, metric, type, help] of table) {
    if (type === 'counter') b.counter(`${module}_${metric}`, help, stats[field], labels);
    else b.gauge(`${module}_${metric}`, help, stats[field], labels);
  }
}
