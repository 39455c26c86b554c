// Where jobs come from and where results go, behind two small interfaces: the Redis variants live
// in redis.ts, the embedded ones (no Redis needed, the default) here.
import { setTimeout as delay } from 'node:timers/promises';

/** A job as a producer pushes it: `{"id":"job-1","payload":"..."}`. */
export type Job = {
  readonly id: string;
  readonly payload: string;
  /** The exact string taken from the queue, needed to acknowledge it (LREM matches by value). */
  readonly raw: string;
};

/** What a worker writes for a job: enriched, or written without enrichment when it is down. */
export type JobResult = {
  readonly id: string;
  readonly status: 'enriched' | 'unenriched' | 'invalid';
  readonly score?: number;
  readonly reason?: string;
};

export interface JobSource {
  /** Waits for the next job; `undefined` when none came in time or `signal` aborted. */
  take(signal: AbortSignal): Promise<Job | undefined>;
  /** Acknowledges jobs whose results are written: they are done for good. */
  ack(jobs: readonly Job[]): Promise<void>;
  close(): Promise<void>;
}

export interface ResultSink {
  /** Writes a batch of results at once; rejects when nothing of the batch may be assumed written. */
  write(results: readonly JobResult[]): Promise<void>;
  close(): Promise<void>;
}

/** Parses a queued job; a malformed one still gets an id, so it is written (as `invalid`) and acked. */
export function parseJob(raw: string): Job {
  try {
    const value = JSON.parse(raw) as { id?: unknown; payload?: unknown };
    if (typeof value.id === 'string') return { id: value.id, payload: String(value.payload ?? ''), raw };
  } catch {
    // fall through
  }
  return { id: `invalid:${raw.slice(0, 64)}`, payload: '', raw };
}

/** Embedded source: produces jobs at a steady rate, as a busy producer would. */
export class GeneratedJobSource implements JobSource {
  readonly #intervalMs: number;
  #next = performance.now();
  #seq = 0;

  constructor(jobsPerSecond: number) {
    this.#intervalMs = 1000 / jobsPerSecond;
  }

  async take(signal: AbortSignal): Promise<Job | undefined> {
    const now = performance.now();
    // After a stall, resume the rate rather than catch up with a burst.
    this.#next = Math.max(this.#next + this.#intervalMs, now - 100);
    try {
      if (this.#next > now) await delay(this.#next - now, undefined, { signal });
    } catch {
      return undefined; // aborted: stop producing
    }
    const id = `job-${++this.#seq}`;
    const raw = JSON.stringify({ id, payload: `order ${this.#seq}` });
    return parseJob(raw);
  }

  async ack(): Promise<void> {
    // Generated jobs live only in memory: nothing to acknowledge.
  }

  async close(): Promise<void> {}
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
