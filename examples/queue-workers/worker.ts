// One stateless worker: a loadstone JobWorker takes jobs from the queue, enriches each through a
// circuit breaker with jittered retries, and hands the result to a BatchProcessor that writes
// batches. A job completes only once its batch is written, so a crash before the write leaves the
// job leased, and the queue runs it again when the lease runs out: at least once, nothing lost.
//
//   JobQueue ─► JobWorker (CONCURRENCY jobs, leases renewed) ─► retry(breaker.execute(enrich))
//                                                            ─► BatchProcessor ─► sink.write ─► job completes

import { isLoadstoneError } from 'loadstone';
import { type Job, type JobQueue, JobWorker } from 'loadstone/jobs';
import { BatchProcessor } from 'loadstone/queue';
import { CircuitBreaker, retry } from 'loadstone/resilience';
import type { FlakyEnrichmentService } from './enrichment.js';
import type { JobData, JobResult, ResultSink } from './jobs.js';

export type WorkerOptions = {
  readonly queue: JobQueue<JobData>;
  readonly sink: ResultSink;
  readonly service: FlakyEnrichmentService;
  /** Jobs running at once, each until its result is written. Keep it ≥ batchSize. */
  readonly concurrency: number;
  readonly batchSize: number;
  readonly batchWaitMs: number;
  /** A crashed worker's jobs run again elsewhere after about this long. */
  readonly visibilityTimeoutMs: number;
};

export type WorkerStats = {
  /** Jobs whose handler started here. */
  readonly accepted: number;
  /** Jobs whose result is written. */
  readonly written: number;
  /** Jobs whose batch could not be written (the queue retries them). */
  readonly failed: number;
  /** Jobs running now. */
  readonly inFlight: number;
  readonly batches: number;
  readonly enriched: number;
  /** Written without enrichment: breaker open or retries exhausted. */
  readonly unenriched: number;
  /** Retries of enrichment calls. */
  readonly retries: number;
  /** Retries of batch writes. */
  readonly writeRetries: number;
  /** Jobs of a crashed worker this one recovered (their lease had run out). */
  readonly stalled: number;
  readonly breaker: string;
  /** How many times the breaker opened. */
  readonly breakerOpened: number;
};

export class EnrichmentWorker {
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
  readonly batcher: BatchProcessor<JobResult>;
  readonly queue: JobQueue<JobData>;
  readonly #jobs: JobWorker<JobData, JobResult['status']>;
  readonly #service: FlakyEnrichmentService;
  #accepted = 0;
  #failed = 0;
  #enriched = 0;
  #unenriched = 0;
  #retries = 0;

  constructor(options: WorkerOptions) {
    this.queue = options.queue;
    this.#service = options.service;
    this.batcher = new BatchProcessor({
      maxBatchSize: options.batchSize,
      maxWaitMs: options.batchWaitMs,
      concurrency: 2,
      // A failed write is retried as a whole batch (HSET by id is idempotent).
      retry: { attempts: 5, baseDelayMs: 100, maxDelayMs: 2_000 },
      process: async (results) => options.sink.write(results),
    });
    this.breaker.on('state:changed', (event) => {
      console.log(`breaker ${event.name}: ${event.from} -> ${event.to} (${event.reason})`);
    });
    this.#jobs = new JobWorker({
      queue: options.queue,
      concurrency: options.concurrency,
      visibilityTimeoutMs: options.visibilityTimeoutMs,
      handler: async (job) => {
        this.#accepted++;
        const result = await this.#enrich(job);
        try {
          await this.batcher.add(result); // resolves once its batch is written
        } catch (error) {
          this.#failed++;
          throw error; // the attempt fails; the queue retries the job after a backoff
        }
        return result.status;
      },
    });
  }

  /**
   * Stops taking jobs and lets the running ones finish (enriched and written) within
   * `timeoutMs`; what is left is handed back to the queue unfinished, for another worker.
   */
  async stop(timeoutMs: number): Promise<void> {
    await this.#jobs.close({ timeoutMs });
    await this.batcher.close();
  }

  stats(): WorkerStats {
    const batches = this.batcher.stats();
    return {
      accepted: this.#accepted,
      written: batches.itemsCompleted,
      failed: this.#failed,
      inFlight: this.#jobs.running,
      batches: batches.batches,
      enriched: this.#enriched,
      unenriched: this.#unenriched,
      retries: this.#retries,
      writeRetries: batches.batchRetries,
      stalled: this.queue.stats().stalled,
      breaker: this.breaker.state,
      breakerOpened: this.breaker.stats().opened,
    };
  }

  async #enrich(job: Job<JobData>): Promise<JobResult> {
    if (typeof job.data?.payload !== 'string') return { id: job.id, status: 'invalid' };
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
