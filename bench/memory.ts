// Retained memory of a built structure: what stays on the heap (and in ArrayBuffer backing stores)
// after garbage collection, while a reference to the structure is kept alive.
import { settleHeap } from './gc.js';

/** Bytes retained by one copy of a structure, measured over `copies` copies. */
export type RetainedMemory = {
  /** `heapUsed` + `external` growth per copy: the number to report. */
  readonly bytes: number;
  /** V8 heap part (`heapUsed`), per copy. */
  readonly heapBytes: number;
  /**
   * Off-heap part (`external`, which includes `arrayBuffers`), per copy. Typed arrays keep their
   * data here, so a measurement of `heapUsed` alone would make a `Uint32Array`-backed ring look free.
   */
  readonly externalBytes: number;
  /** How many copies were built and held at once. */
  readonly copies: number;
};

/** Options of {@link measureRetained}. */
export type MeasureRetainedOptions = {
  /** Build exactly this many copies. Default: as many as it takes to reach `targetBytes`, up to `maxCopies`. */
  readonly copies?: number;
  /**
   * Total bytes to build up to when `copies` is not given. The heap moves by ±100 KiB between two
   * readings even after full GCs, so a small structure needs many copies to measure well.
   * @default 16 MiB
   */
  readonly targetBytes?: number;
  /** Upper bound on the number of copies. @default 10000 */
  readonly maxCopies?: number;
};

let sink: unknown;

/**
 * Measures the memory retained by what `build` returns: collects garbage until the heap settles
 * (see {@link settleHeap}), reads `heapUsed` and
 * `external`, builds copies while holding them in a preallocated array, collects garbage again
 * and reads the counters again. The copies stay referenced until after the second reading.
 *
 * Unless `copies` is given, copies are built until the (un-collected) growth reaches `targetBytes`
 * or `maxCopies` is reached. Build garbage counts toward that growth, so this stops early rather
 * than late: a misleading one-copy probe cannot make it build thousands of large structures.
 *
 * @param build - returns a new, independent copy of the structure on each call.
 * @returns bytes per copy; `bytes` is the number to report.
 *
 * @example
 * const perNode = measureRetained(() => new HashRing(nodes)).bytes / nodes.length;
 */
export function measureRetained(build: () => unknown, options: MeasureRetainedOptions = {}): RetainedMemory {
  const limit = options.copies ?? options.maxCopies ?? 10_000;
  const target =
    options.copies === undefined ? (options.targetBytes ?? 16 * 1024 * 1024) : Number.POSITIVE_INFINITY;
  const held: unknown[] = new Array(limit).fill(undefined);
  settleHeap();
  const before = process.memoryUsage();
  const baseline = before.heapUsed + before.external;
  let copies = 0;
  while (copies < limit) {
    held[copies++] = build();
    if (target !== Number.POSITIVE_INFINITY) {
      const now = process.memoryUsage();
      if (now.heapUsed + now.external - baseline >= target) break;
    }
  }
  settleHeap();
  const after = process.memoryUsage();
  sink = held; // keeps every copy reachable up to here
  sink = undefined;
  const heapBytes = (after.heapUsed - before.heapUsed) / copies;
  const externalBytes = (after.external - before.external) / copies;
  return { bytes: heapBytes + externalBytes, heapBytes, externalBytes, copies };
}

/** @internal keeps the optimiser from proving `sink` unused. */
export function memorySink(): unknown {
  return sink;
}
