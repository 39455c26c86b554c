import type { LatencySnapshot } from '../core/LatencyRecorder.js';
import type { MetricFamily, MetricSample, MetricType } from './MetricFamily.js';

type Labels = Readonly<Record<string, string>>;
type MutableFamily = { name: string; help: string; type: MetricType; values: MetricSample[] };

/** Quantiles of every latency summary: the hdr recorders' p50, p90 and p99. */
export const QUANTILES = [
  [0.5, 'p50Ms'],
  [0.9, 'p90Ms'],
  [0.99, 'p99Ms'],
] as const;

/**
 * Accumulates families by full name while the exporter walks its sources: sources of the same
 * kind share families and differ by labels. A family asked for again with another type keeps its
 * first type and the conflicting samples are left out (a generic field cannot hijack a family).
 * @internal
 */
export class FamilyBuilder {
  readonly #prefix: string;
  readonly #families = new Map<string, MutableFamily>();

  constructor(prefix: string) {
    this.#prefix = prefix;
  }

  #family(name: string, type: MetricType, help: string): MutableFamily | undefined {
    const full = `${this.#prefix}_${name}`;
    const family = this.#families.get(full);
    if (family !== undefined) return family.type === type ? family : undefined;
    const created: MutableFamily = { name: full, help, type, values: [] };
    this.#families.set(full, created);
    return created;
  }

  /** A counter sample; `name` ends in `_total`. */
  counter(name: string, help: string, value: unknown, labels: Labels): void {
    if (!isReading(value)) return;
    this.#family(name, 'counter', help)?.values.push({ value, labels });
  }

  /** A gauge sample; booleans read as 1/0. */
  gauge(name: string, help: string, value: unknown, labels: Labels, scale = 1): void {
    const v = typeof value === 'boolean' ? Number(value) : value;
    if (!isReading(v)) return;
    this.#family(name, 'gauge', help)?.values.push({ value: v * scale, labels });
  }

  /** One gauge per possible state, 1 for the current one: `<name>{<label>="open"} 1`. */
  stateSet(
    name: string,
    help: string,
    label: string,
    states: readonly string[],
    current: unknown,
    labels: Labels,
  ): void {
    const family = this.#family(name, 'gauge', help);
    if (family === undefined) return;
    for (const state of states)
      family.values.push({ value: state === current ? 1 : 0, labels: { ...labels, [label]: state } });
  }

  /** A latency summary in seconds from a recorder snapshot in ms: p50/p90/p99, `_sum`, `_count`. */
  latency(name: string, help: string, snapshot: unknown, labels: Labels): void {
    if (!isLatencySnapshot(snapshot)) return;
    const family = this.#family(name, 'summary', help);
    if (family === undefined) return;
    for (const [quantile, field] of QUANTILES) {
      family.values.push({
        value: snapshot[field] / 1000,
        labels: { ...labels, quantile: String(quantile) },
      });
    }
    // The recorder keeps the exact mean, so the sum is exact too (to the µs per recording).
    family.values.push({
      value: (snapshot.meanMs * snapshot.count) / 1000,
      labels,
      metricName: `${family.name}_sum`,
    });
    family.values.push({ value: snapshot.count, labels, metricName: `${family.name}_count` });
  }

  /** A summary with quantiles only (no `_sum`/`_count`: the source does not count). */
  quantiles(
    name: string,
    help: string,
    points: readonly (readonly [number, unknown])[],
    labels: Labels,
    scale = 1,
  ): void {
    const family = this.#family(name, 'summary', help);
    if (family === undefined) return;
    for (const [quantile, value] of points) {
      if (isReading(value))
        family.values.push({ value: value * scale, labels: { ...labels, quantile: String(quantile) } });
    }
  }

  /** Adds a whole family (a worker's), with `extra` labels on every sample. */
  merge(family: MetricFamily, extra: Labels): void {
    let target = this.#families.get(family.name);
    if (target === undefined) {
      target = { name: family.name, help: family.help, type: family.type, values: [] };
      this.#families.set(family.name, target);
    } else if (target.type !== family.type) {
      return;
    }
    for (const sample of family.values) {
      const labels = { ...sample.labels, ...extra };
      target.values.push(
        sample.metricName === undefined
          ? { value: sample.value, labels }
          : { value: sample.value, labels, metricName: sample.metricName },
      );
    }
  }

  /** The families built, in the order first asked for. */
  families(): MetricFamily[] {
    return [...this.#families.values()];
  }
}

/** A finite number: what a sample may carry (JSON has no NaN or Infinity). */
export function isReading(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

/** The shape of a {@link LatencySnapshot}, recognised structurally (also in generic sources). */
export function isLatencySnapshot(value: unknown): value is LatencySnapshot {
  if (typeof value !== 'object' || value === null) return false;
  const s = value as Record<string, unknown>;
  return (
    isReading(s.count) &&
    isReading(s.meanMs) &&
    isReading(s.p50Ms) &&
    isReading(s.p90Ms) &&
    isReading(s.p99Ms)
  );
}
