// What a benchmark case is made of: contenders (one is the anchor), their targets, and the timing
// profiles of a full and a quick run. Shared by the harness, the per-contender measurement and the
// isolated child processes, so none of them imports another for its types.
/** A value or a promise of it. */
export type Awaitable<T> = T | PromiseLike<T>;

/** What a contender must reach to pass, printed next to its ratio. */
export type Target = {
  /** Minimum ratio of the contender's ops/s to the anchor's (e.g. `15` for "≥ 15× hashring"). */
  readonly minRatio?: number;
  /** Minimum ops/s in absolute terms (e.g. `10e6`). */
  readonly minOpsPerSec?: number;
};

type ContenderBase = {
  /** Row label; also the last part of the contender's `--filter` path. */
  readonly name: string;
  /** Marks the contender every ratio is computed against. Exactly one per case. */
  readonly anchor?: boolean;
  /** Runs once before warm-up. Build structures here so their construction is not timed. */
  readonly setup?: () => Awaitable<void>;
  /** Runs once after the last round, e.g. to release a large structure before the next case. */
  readonly teardown?: () => Awaitable<void>;
  /** Pass/fail target shown in the table. */
  readonly target?: Target;
};

/** A synchronous contender, timed a batch at a time. */
export type BatchContender = ContenderBase & {
  /** Performs exactly `n` operations. */
  readonly batch: (n: number) => void;
  /** Fixed batch size. Default: sized during warm-up so a batch lasts about `targetBatchUs`. */
  readonly batchSize?: number;
};

/** An asynchronous contender, awaited and timed one operation at a time (one operation in flight). */
export type AsyncContender = ContenderBase & {
  /** Performs one operation. */
  readonly op: () => Promise<unknown>;
};

/** One row of a throughput table. */
export type Contender = BatchContender | AsyncContender;

/** Durations of the phases of a throughput case. */
export type TimingProfile = {
  /** Warm-up per contender (ms). */
  readonly warmupMs: number;
  /** Timed run per contender per round (ms). */
  readonly roundMs: number;
  /** Number of interleaved rounds. Odd, so the median is a measured value. */
  readonly rounds: number;
  /** Batch duration that automatic batch sizing aims for (µs). */
  readonly targetBatchUs: number;
};

/** Default timing of a full run: 1 s warm-up, 5 rounds of 1.5 s per contender. */
export const FULL_TIMING: TimingProfile = Object.freeze({
  warmupMs: 1000,
  roundMs: 1500,
  rounds: 5,
  targetBatchUs: 50,
});

/** Timing of `--quick`: enough to see that a case runs, not to compare numbers. */
export const QUICK_TIMING: TimingProfile = Object.freeze({
  warmupMs: 100,
  roundMs: 150,
  rounds: 3,
  targetBatchUs: 50,
});
