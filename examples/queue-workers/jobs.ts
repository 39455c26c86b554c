// What a job carries and where its result goes. The jobs themselves live in a loadstone JobQueue
// (Redis with REDIS_URL, in memory otherwise); results go to a ResultSink: a Redis hash in
// redis.ts, a bounded map here.
import type { JobQueue } from 'loadstone/jobs';

/** A job's payload, as a producer adds it: `queue.add({ payload: '...' }, { id: 'job-1' })`. */
export type JobData = {
  readonly payload: string;
};

/** What a worker writes for a job: enriched, or written without enrichment when it is down. */
export type JobResult = {
  readonly id: string;
  readonly status: 'enriched' | 'unenriched' | 'invalid';
  readonly score?: number;
  readonly reason?: string;
};

export interface ResultSink {
  /** Writes a batch of results at once; rejects when nothing of the batch may be assumed written. */
  write(results: readonly JobResult[]): Promise<void>;
  close(): Promise<void>;
}

/** Embedded producer: adds `jobsPerSecond` jobs to the queue, as a busy API would. */
export function produceJobs(queue: JobQueue<JobData>, jobsPerSecond: number): { stop(): void } {
  let seq = 0;
  let next = performance.now();
  const intervalMs = 1000 / jobsPerSecond;
  const timer = setInterval(() => {
    // Add what is due since the last tick (timers are coarse), at most a second's worth.
    const now = performance.now();
    const due = Math.min(Math.floor((now - next) / intervalMs), jobsPerSecond);
    if (due <= 0) return;
    next += due * intervalMs;
    const jobs = Array.from({ length: due }, () => {
      seq++;
      return { data: { payload: `order ${seq}` }, id: `job-${seq}` };
    });
    queue.addBulk(jobs).catch((error: unknown) => console.warn(`producer: add failed: ${String(error)}`));
  }, 10);
  return { stop: () => clearInterval(timer) };
}

/** Embedded sink: keeps the latest results in memory (bounded, so a long demo does not grow). */
export class MemoryResultSink implements ResultSink {
  readonly results = new Map<string, JobResult>();
  readonly #keep: number;

  constructor(keep = 10_000) {
    this.#keep = keep;
  }

  async write(results: readonly JobResult[]): Promise<void> {
    for (const result of results) {
      this.results.delete(result.id);
      this.results.set(result.id, result);
    }
    for (const id of this.results.keys()) {
      if (this.results.size <= this.#keep) break;
      this.results.delete(id);
    }
  }

  async close(): Promise<void> {}
}
