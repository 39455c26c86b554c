// One stateless worker: pull a job, enrich it through a circuit breaker with jittered retries,
// hand the result to a BatchProcessor that writes batches and then acknowledges their jobs.
//
//   source.take ─► PriorityTaskQueue (CONCURRENCY jobs in flight) ─► retry(breaker.execute(enrich))
//                                                                 ─► BatchProcessor ─► sink.write, source.ack
//
// A job holds its queue slot until its batch is written and acknowledged, so CONCURRENCY bounds
// the jobs accepted but not yet done: what a crash would hand back to the queue.

import { setTimeout as delay } from 'node:timers/promises';
import { isLoadstoneError } from 'loadstone';
import { BatchProcessor, PriorityTaskQueue } from 'loadstone/queue';
import { CircuitBreaker, retry } from 'loadstone/resilience';
import type { FlakyEnrichmentService } from './enrichment.js';
import type { Job, JobResult, JobSource, ResultSink } from './jobs.js';

export type WorkerOptions = {
  readonly source: JobSource;
  readonly sink: ResultSink;
  readonly service: FlakyEnrichmentService;
  /** Jobs accepted and not yet written and acknowledged, at most. Keep it ≥ batchSize. */
  readonly concurrency: number;
  readonly batchSize: number;
  readonly batchWaitMs: number;
};

export type WorkerStats = {
  /** Jobs taken from the source. */
  readonly accepted: number;
  /** Jobs whose result is written and acknowledged. */
  readonly written: number;
  /** Jobs whose batch could not be written (still in the processing list, in Redis mode). */
  readonly failed: number;
  readonly inFlight: number;
  readonly batches: number;
  readonly enriched: number;
  /** Written without enrichment: breaker open or retries exhausted. */
  readonly unenriched: number;
  /** Retries of enrichment calls. */
  readonly retries: number;
  /** Retries of batch writes. */
  readonly writeRetries: number;
  readonly breaker: string;
  /** How many times the breaker opened. */
  readonly breakerOpened: number;
};

export class JobWorker {
  readonly breaker = new CircuitBreaker({
    name: 'enrichment',
    // Open when half the calls of the last 2 s failed (at least 20 of them), or on 10 in a row.
    failureRatio: 0.5,
    minimumCalls: 20,
    windowMs: 2_000,
    consecutiveFailures: 10,
    openDurationMs: 1_000,
    timeoutMs: 250,
  });
  readonly tasks: PriorityTaskQueue;
  readonly batcher: BatchProcessor<{ job: Job; result: JobResult }>;
  readonly #source: JobSource;
  readonly #service: FlakyEnrichmentService;
  readonly #pulling = new AbortController();
  #loop: Promise<void> | undefined;
  #accepted = 0;
  #failed = 0;
  #enriched = 0;
  #unenriched = 0;
  #retries = 0;

  constructor(options: WorkerOptions) {
    this.#source = options.source;
    this.#service = options.service;
    this.tasks = new PriorityTaskQueue({ concurrency: options.concurrency });
    this.batcher = new BatchProcessor({
      maxBatchSize: options.batchSize,
      maxWaitMs: options.batchWaitMs,
      concurrency: 2,
      // A failed write is retried as a whole batch (HSET by id is idempotent).
      retry: { attempts: 5, baseDelayMs: 100, maxDelayMs: 2_000 },
      process: async (items) => {
        await options.sink.write(items.map((item) => item.result));
        // Acknowledge only once written: a crash in between redelivers, never loses.
        await this.#source.ack(items.map((item) => item.job));
      },
    });
    this.breaker.on('state:changed', (event) => {
      console.log(`breaker ${event.name}: ${event.from} -> ${event.to} (${event.reason})`);
    });
  }

  /** Starts the pull loop. */
  start(): void {
    this.#loop ??= this.#pull(this.#pulling.signal);
  }

  /** Stops pulling, then finishes every accepted job: enriched, written, acknowledged. */
  async stop(): Promise<void> {
    this.#pulling.abort();
    await this.#loop;
    await this.tasks.close();
    await this.batcher.close();
  }

  stats(): WorkerStats {
    const batches = this.batcher.stats();
    const written = batches.itemsCompleted;
    return {
      accepted: this.#accepted,
      written,
      failed: this.#failed,
      inFlight: this.#accepted - written - this.#failed,
      batches: batches.batches,
      enriched: this.#enriched,
      unenriched: this.#unenriched,
      retries: this.#retries,
      writeRetries: batches.batchRetries,
      breaker: this.breaker.state,
      breakerOpened: this.breaker.stats().opened,
    };
  }

  async #pull(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      // Backpressure: take a job only when the queue has room for it to start.
      if (this.tasks.size > 0) await this.tasks.onEmpty();
      let job: Job | undefined;
      try {
        job = await this.#source.take(signal);
      } catch (error) {
        // Redis unreachable, say: keep the accepted jobs going and try again (readiness says why).
        console.warn(`job source failed, retrying in 1 s: ${String(error)}`);
        await delay(1_000, undefined, { signal }).catch(() => {});
        continue;
      }
      if (job === undefined) continue;
      this.#accepted++;
      this.tasks
        .add(async () => this.batcher.add({ job, result: await this.#enrich(job) }))
        .catch((error: unknown) => {
          this.#failed++;
          console.warn(`job ${job.id} not written, left for redelivery: ${String(error)}`);
        });
    }
  }

  async #enrich(job: Job): Promise<JobResult> {
    if (job.id.startsWith('invalid:')) return { id: job.id, status: 'invalid' };
    try {
      const score = await retry(() => this.breaker.execute((signal) => this.#service.enrich(job, signal)), {
        attempts: 4,
        baseDelayMs: 20,
        maxDelayMs: 400,
        jitter: 'full',
        // An open breaker means "do not call": retrying it would only spin.
        retryIf: (error) => !isLoadstoneError(error, 'ERR_LOADSTONE_CIRCUIT_OPEN'),
        onRetry: () => this.#retries++,
      });
      this.#enriched++;
      return { id: job.id, status: 'enriched', score };
    } catch (error) {
      // Degrade rather than stall the queue: write the job now, flagged, and let a later pass
      // enrich the `unenriched` ones.
      this.#unenriched++;
      const reason = isLoadstoneError(error) ? error.code : String(error);
      return { id: job.id, status: 'unenriched', reason };
    }
  }
}
