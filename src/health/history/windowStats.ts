/** Figures of one series over a window; `count` 0 (and every figure `NaN`) when it held no sample. */
export type WindowStats = {
  /** Samples in the window (`NaN` samples, a worker's gap, left out). */
  readonly count: number;
  /** Smallest sample. */
  readonly min: number;
  /** Arithmetic mean. */
  readonly mean: number;
  /** Largest sample. */
  readonly max: number;
  /** Median, nearest rank. */
  readonly p50: number;
  /** 99th percentile, nearest rank. */
  readonly p99: number;
};

/** The window figures of `values` (sorted in place): nearest-rank percentiles, `NaN`s skipped. */
export function windowStats(values: number[]): WindowStats {
  const samples = values.filter((value) => !Number.isNaN(value)).sort((a, b) => a - b);
  const count = samples.length;
  if (count === 0)
    return { count, min: Number.NaN, mean: Number.NaN, max: Number.NaN, p50: Number.NaN, p99: Number.NaN };
  let sum = 0;
  for (const value of samples) sum += value;
  const rank = (q: number): number => samples[Math.max(0, Math.ceil(q * count) - 1)] as number;
  return {
    count,
    min: samples[0] as number,
    mean: sum / count,
    max: samples[count - 1] as number,
    p50: rank(0.5),
    p99: rank(0.99),
  };
}
