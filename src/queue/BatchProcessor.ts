import type { Closeable, CloseOptions } from '../core/Closeable.js';
import { CapacityExceededError } from '../core/errors/CapacityExceededError.js';
import { ClosedError } from '../core/errors/ClosedError.js';
import { InvalidOptionError } from '../core/errors/InvalidOptionError.js';
import {
  checkOptionKeys,
  functionOption,
  integerOption,
  optionNames,
  optionsObject,
  timerMsOption,
} from '../core/internal/validate.js';
import { warnUnbounded } from '../core/internal/warnUnbounded.js';
import type { MetricsSource } from '../core/MetricsSource.js';
import type { BatchHandler, BatchProcessorOptions, BatchProcessorStats } from './BatchProcessorOptions.js';
import { PriorityTaskQueue } from './PriorityTaskQueue.js';
import { boundOption, DEFAULT_MAX_QUEUED } from './resolvePriorityTaskQueueOptions.js';

const WHAT = 'BatchProcessor';

type Item<I, R> = {
  readonly item: I;
  readonly resolve: (value: R) => void;
  readonly reject: (error: unknown) => void;
};

const OPTIONS = optionNames<BatchProcessorOptions<unknown, unknown>>()([
  'process',
  'maxBatchSize',
  'maxWaitMs',
  'concurrency',
  'retry',
  'timeoutMs',
  'maxPendingItems',
]);

/**
 * Collects items and processes them in batches: a batch is sent when it holds `maxBatchSize`
 * items or `maxWaitMs` after its first item, whichever comes first. Each `add` returns that
 * item's own result promise. Batches run through a {@link PriorityTaskQueue} (concurrency,
 * retries of a failed batch, timeouts).
 *
 * Nothing is lost: every added item's promise settles, with its result or with the batch's
 * error; `flush()` sends what is buffered and waits for it, `close()` refuses new items and
 * waits for every accepted one. It is a {@link MetricsSource} of {@link BatchProcessorStats}
 * and a {@link Closeable}.
 *
 * @typeParam I - an item.
 * @typeParam R - one item's result.
 *
 * @example
 * {@includeCode ./BatchProcessor.test.ts#batchProcessor}
 */
export class BatchProcessor<I, R = void> implements Closeable, MetricsSource<BatchProcessorStats> {
  readonly #process: BatchHandler<I, R>;
  readonly #maxBatchSize: number;
  readonly #maxWaitMs: number;
  readonly #maxPendingItems: number;
  readonly #queue: PriorityTaskQueue;
  #buffer: Item<I, R>[] = [];
  #timer: NodeJS.Timeout | undefined;
  readonly #inFlight = new Set<Promise<void>>();
  #pendingItems = 0;
  #closed = false;
  #batches = 0;
  #sizeFlushes = 0;
  #timeFlushes = 0;
  #manualFlushes = 0;
  #itemsCompleted = 0;
  #itemsFailed = 0;

  /**
   * @param options - the batch handler, size and time limits, concurrency, retries.
   * @throws an {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION` for a bad option.
   */
  constructor(options: BatchProcessorOptions<I, R>) {
    const opts = optionsObject('options', options) as Partial<BatchProcessorOptions<I, R>>;
    checkOptionKeys(opts, OPTIONS, 'BatchProcessor');
    this.#process = functionOption<BatchHandler<I, R>>('options.process', opts.process);
    this.#maxBatchSize = integerOption('options.maxBatchSize', opts.maxBatchSize ?? 100, 1);
    this.#maxWaitMs = timerMsOption('options.maxWaitMs', opts.maxWaitMs ?? 10);
    this.#maxPendingItems = boundOption(
      'options.maxPendingItems',
      opts.maxPendingItems,
      DEFAULT_MAX_QUEUED,
      1,
      () =>
        warnUnbounded(
          'LOADSTONE_WARN_BATCH_UNBOUNDED',
          'BatchProcessor with maxPendingItems: Infinity: items can pile up without limit when batches fall behind',
        ),
    );
    const concurrency = integerOption('options.concurrency', opts.concurrency ?? 1, 1);
    this.#queue = new PriorityTaskQueue({
      concurrency,
      // The items' bound is the one that counts: batches never outnumber the items in them.
      maxQueued: Number.isFinite(this.#maxPendingItems) ? this.#maxPendingItems : Number.MAX_SAFE_INTEGER,
      ...(opts.retry === undefined ? {} : { retry: opts.retry }),
      ...(opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs }),
    });
  }

  /** `true` from the moment `close()` or `destroy()` is first called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Adds an item to the current batch.
   *
   * @param item - the item.
   * @returns the item's result, once its batch is processed.
   * @throws (as rejections) {@link ClosedError} `ERR_LOADSTONE_CLOSED` after `close()`;
   * {@link CapacityExceededError} `ERR_LOADSTONE_CAPACITY` beyond `maxPendingItems`; the batch's
   * error, or `RetriesExhaustedError` when retries were allowed; `InvalidOptionError` when the
   * handler resolved with an array of the wrong length.
   */
  add(item: I): Promise<R> {
    if (this.#closed) return Promise.reject(new ClosedError(WHAT));
    if (this.#pendingItems >= this.#maxPendingItems) {
      return Promise.reject(new CapacityExceededError(`${WHAT} items`, this.#maxPendingItems));
    }
    this.#pendingItems++;
    return new Promise<R>((resolve, reject) => {
      this.#buffer.push({ item, resolve, reject });
      if (this.#buffer.length >= this.#maxBatchSize) {
        this.#sizeFlushes++;
        this.#send();
      } else if (this.#timer === undefined) {
        // Whatever empties the buffer clears this timer, so it fires only on buffered items.
        this.#timer = setTimeout(() => {
          this.#timer = undefined;
          this.#timeFlushes++;
          this.#send();
        }, this.#maxWaitMs);
      }
    });
  }

  /**
   * Sends the buffered items now, as one or more batches, and waits until every batch sent
   * so far has settled. Never rejects for a batch's failure (the items' promises carry it).
   *
   * @returns a promise that resolves once those batches have settled.
   *
   * @example
   * {@includeCode ./BatchProcessor.test.ts#flush}
   */
  async flush(): Promise<void> {
    if (this.#buffer.length > 0) {
      this.#manualFlushes++;
      while (this.#buffer.length > 0) this.#send();
    }
    await Promise.all([...this.#inFlight]);
  }

  /**
   * Refuses new items with {@link ClosedError}, sends what is buffered and resolves once every
   * accepted item has settled. Idempotent.
   *
   * @param options - a `signal` that destroys the processor instead of waiting on.
   * @returns a promise that resolves once drained.
   * @throws `signal.reason`, as a rejection, when `options.signal` aborts first.
   */
  async close(options?: CloseOptions): Promise<void> {
    this.#closed = true;
    if (this.#buffer.length > 0) {
      this.#manualFlushes++;
      while (this.#buffer.length > 0) this.#send();
    }
    await this.#queue.close(options);
    await Promise.all([...this.#inFlight]);
  }

  /**
   * Stops intake and abandons every buffered and in-flight item: their promises reject with
   * {@link ClosedError} (`cause`: `reason`). Idempotent.
   *
   * @param reason - kept as the `cause` of the rejections.
   * @returns a promise that resolves once everything is released.
   */
  async destroy(reason?: unknown): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const error = new ClosedError(WHAT, reason === undefined ? undefined : { cause: reason });
    const buffered = this.#buffer;
    this.#buffer = [];
    for (const entry of buffered) this.#settleItem(entry, false, error);
    await this.#queue.destroy(reason);
    await Promise.all([...this.#inFlight]);
  }

  /**
   * Calls `close()`, for `await using`.
   *
   * @returns the promise `close()` returns.
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /**
   * Takes a snapshot of the processor's counters and gauges.
   *
   * @returns a fresh {@link BatchProcessorStats}.
   */
  stats(): BatchProcessorStats {
    return {
      buffered: this.#buffer.length,
      pendingItems: this.#pendingItems,
      batchesInFlight: this.#inFlight.size,
      batches: this.#batches,
      sizeFlushes: this.#sizeFlushes,
      timeFlushes: this.#timeFlushes,
      manualFlushes: this.#manualFlushes,
      itemsCompleted: this.#itemsCompleted,
      itemsFailed: this.#itemsFailed,
      batchRetries: this.#queue.stats().retries,
      closed: this.#closed,
    };
  }

  /**
   * Cuts one batch off a non-empty buffer and hands it to the queue. Callers send until the
   * buffer is empty, so the wait timer is done with.
   */
  #send(): void {
    const batch = this.#buffer.splice(0, this.#maxBatchSize);
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#batches++;
    const items = batch.map((entry) => entry.item);
    const done: Promise<void> = this.#queue
      .add((context) => this.#process(items, context))
      .then(
        (results) => {
          if (results === undefined || results === null) {
            for (const entry of batch) this.#settleItem(entry, true, undefined as R);
            return;
          }
          if (!Array.isArray(results) || results.length !== batch.length) {
            const error = new InvalidOptionError(
              'the result of options.process',
              `an array of ${batch.length} results or undefined`,
              results,
            );
            for (const entry of batch) this.#settleItem(entry, false, error);
            return;
          }
          for (let i = 0; i < batch.length; i++)
            this.#settleItem(batch[i] as Item<I, R>, true, results[i] as R);
        },
        (error: unknown) => {
          for (const entry of batch) this.#settleItem(entry, false, error);
        },
      )
      .finally(() => {
        this.#inFlight.delete(done);
      });
    this.#inFlight.add(done);
  }

  #settleItem(entry: Item<I, R>, ok: boolean, value: unknown): void {
    this.#pendingItems--;
    if (ok) {
      this.#itemsCompleted++;
      entry.resolve(value as R);
    } else {
      this.#itemsFailed++;
      entry.reject(value);
    }
  }
}
