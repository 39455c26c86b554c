// Small order statistics shared by the harness and the cases.

/** Median, minimum and maximum of a sample. */
export type Summary = {
  readonly median: number;
  readonly min: number;
  readonly max: number;
};

/**
 * Summarises a non-empty sample. The median of an even-sized sample is the mean of the two middle values.
 *
 * @throws Error when `values` is empty.
 */
export function summarize(values: readonly number[]): Summary {
  if (values.length === 0) throw new Error('summarize: empty sample');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median =
    sorted.length % 2 === 1
      ? (sorted[mid] as number)
      : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  return { median, min: sorted[0] as number, max: sorted[sorted.length - 1] as number };
}

/** Median of a non-empty sample. */
export function median(values: readonly number[]): number {
  return summarize(values).median;
}
