// Construction time of a structure: median of several samples, each long enough for the timer.
import { performance } from 'node:perf_hooks';
import { collectGarbage } from './gc.js';
import { type Summary, summarize } from './stats.js';

/** Options of {@link measureBuildTime}. */
export type MeasureBuildTimeOptions = {
  /** Number of samples; the median is reported. @default 5 */
  readonly samples?: number;
  /** Each sample repeats the build until it lasts at least this long (ms), so sub-ms builds time well. @default 5 */
  readonly minSampleMs?: number;
};

let sink: unknown;

/**
 * Times `build`: one untimed build warms it up and sizes the samples, then each sample collects
 * garbage and times `reps` consecutive builds.
 *
 * @returns milliseconds per build (median, min and max over the samples).
 */
export function measureBuildTime(build: () => unknown, options: MeasureBuildTimeOptions = {}): Summary {
  const samples = options.samples ?? 5;
  const minSampleMs = options.minSampleMs ?? 5;
  const t0 = performance.now();
  sink = build();
  const first = Math.max(performance.now() - t0, 1e-3);
  const reps = Math.max(1, Math.ceil(minSampleMs / first));
  const perBuild: number[] = [];
  for (let s = 0; s < samples; s++) {
    sink = undefined;
    collectGarbage(1);
    const start = performance.now();
    for (let r = 0; r < reps; r++) sink = build();
    perBuild.push((performance.now() - start) / reps);
  }
  sink = undefined;
  return summarize(perBuild);
}

/** @internal keeps the optimiser from proving `sink` unused. */
export function buildTimeSink(): unknown {
  return sink;
}
