// What a soak run collected, as the report reads it.
import type { FaultDriver } from './faults.js';
import type { GcLog } from './gc.js';
import type { MixedLoad } from './load.js';
import type { Sample, WorkerReading } from './sampler.js';

export type SoakResult = {
  readonly minutes: number;
  /** Worker processes the example runs (the count a steady sample has). */
  readonly workers: number;
  readonly primaryPid: number;
  readonly load: MixedLoad;
  /** Every 5 s: descriptors, RSS, heap, Redis clients. */
  readonly samples: readonly Sample[];
  /** Every second: the workers' state and health from the admin JSON (heartbeats are 1 s apart). */
  readonly readings: readonly WorkerReading[];
  /** Every process's full collections, from `--trace-gc`. */
  readonly gc: GcLog;
  readonly faults: FaultDriver;
};
