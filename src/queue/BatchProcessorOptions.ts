import type { TaskContext, TaskRetryOptions } from './PriorityTaskQueueOptions.js';

/**
 * Processes one batch. Resolve with one result per item, in the items' order (each item's
 * promise resolves with its own), or with nothing (each resolves with `undefined`). A rejection
 * fails the batch: it is retried as a whole when `retry` allows, otherwise every item's promise
 * rejects.
 */
export type BatchHandler<I, R> = (
  items: readonly I[],
  context: TaskContext,
  // biome-ignore lint/suspicious/noConfusingVoidType: `async (items) => { … }` returns Promise<void>.
) => readonly R[] | undefined | void | PromiseLike<readonly R[] | undefined | void>;

/** Options of {@link BatchProcessor}. */
export type BatchProcessorOptions<I, R> = {
  /** Processes one batch (see {@link BatchHandler}). */
  readonly process: BatchHandler<I, R>;
  /**
   * A batch is sent as soon as it holds this many items. Minimum: 1.
   * @default 100
   */
  readonly maxBatchSize?: number;
  /**
   * A batch is sent at the latest this long after its first item arrived, in ms. `0` sends on
   * the next macrotask tick (items added synchronously together share a batch). Minimum: 0.
   * @default 10
   */
  readonly maxWaitMs?: number;
  /**
   * How many batches are processed at once. Minimum: 1.
   * @default 1
   */
  readonly concurrency?: number;
  /**
   * Retries of a failed batch, as the resilience module's `retry`. When every allowed attempt
   * fails (more than one allowed), the items reject with `RetriesExhaustedError`.
   * @default no retry: the batch's error rejects every item unchanged
   */
  readonly retry?: TaskRetryOptions;
  /**
   * The time limit of one attempt at a batch, in ms; `0` means none.
   * @default 0
   */
  readonly timeoutMs?: number;
  /**
   * How many items may wait, buffered or in batches not yet finished. `add` beyond it rejects
   * with `CapacityExceededError`. Minimum: 1. `Infinity` turns the bound off (with a process
   * warning, `LOADSTONE_WARN_BATCH_UNBOUNDED`, once per process).
   * @default 100_000
   */
  readonly maxPendingItems?: number;
};

/** What a {@link BatchProcessor} reports in `stats()`. */
export type BatchProcessorStats = {
  /** Items waiting for their batch to be sent. */
  readonly buffered: number;
  /** Items added and not yet settled (buffered ones included). */
  readonly pendingItems: number;
  /** Batches sent and not yet settled. */
  readonly batchesInFlight: number;
  /** Batches sent since construction. */
  readonly batches: number;
  /** Batches sent because they were full. */
  readonly sizeFlushes: number;
  /** Batches sent because `maxWaitMs` passed. */
  readonly timeFlushes: number;
  /** Batches sent by `flush()` or `close()`. */
  readonly manualFlushes: number;
  /** Items whose promise resolved. */
  readonly itemsCompleted: number;
  /** Items whose promise rejected. */
  readonly itemsFailed: number;
  /** Retries of failed batches (each retry of a batch counts once). */
  readonly batchRetries: number;
  /** Whether `close()` or `destroy()` was called. */
  readonly closed: boolean;
};
