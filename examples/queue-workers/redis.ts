// The Redis variants, as the "reliable queue" pattern: BLMOVE moves a job from the shared list
// into this worker's own processing list in one atomic step, and the job leaves that list only
// once its result is written. A worker that crashes leaves its jobs in its processing list, and
// moves them back to the queue when it starts again (same WORKER_ID). Delivery is at least once,
// so results are written idempotently: HSET by job id.

import { Redis } from 'ioredis';
import type { HealthCheck, HealthCheckResult } from 'loadstone';
import { type Job, type JobResult, type JobSource, parseJob, type ResultSink } from './jobs.js';

/** How long one BLMOVE blocks, in seconds: bounds how long SIGTERM waits for the pull loop. */
const BLOCK_SECONDS = 0.5;

export type RedisKeys = {
  /** The shared list producers LPUSH jobs to. */
  readonly queue: string;
  /** This worker's processing list. */
  readonly processing: string;
};

/** Throws the first error of an ioredis pipeline reply. */
function check(replies: [Error | null, unknown][] | null): void {
  if (replies === null) throw new Error('Redis pipeline aborted');
  for (const [error] of replies) if (error) throw error;
}

export class RedisJobSource implements JobSource {
  readonly #keys: RedisKeys;
  readonly #redis: Redis;
  // A blocked BLMOVE holds its connection, so it gets one of its own.
  readonly #blocking: Redis;

  constructor(url: string, keys: RedisKeys) {
    this.#keys = keys;
    this.#redis = new Redis(url);
    this.#blocking = new Redis(url);
  }

  /** Moves the jobs a previous run of this worker left in its processing list back to the queue. */
  async recover(): Promise<number> {
    let moved = 0;
    // Newest first onto the consumer end, so they run again in their original order.
    while ((await this.#redis.lmove(this.#keys.processing, this.#keys.queue, 'LEFT', 'RIGHT')) !== null)
      moved++;
    return moved;
  }

  async take(signal: AbortSignal): Promise<Job | undefined> {
    if (signal.aborted) return undefined;
    // Not interrupted by `signal`: a job moved just before an abort must still be processed, so
    // the pull loop waits out at most BLOCK_SECONDS instead.
    const raw = await this.#blocking.blmove(
      this.#keys.queue,
      this.#keys.processing,
      'RIGHT',
      'LEFT',
      BLOCK_SECONDS,
    );
    return raw === null ? undefined : parseJob(raw);
  }

  async ack(jobs: readonly Job[]): Promise<void> {
    const pipeline = this.#redis.pipeline();
    for (const job of jobs) pipeline.lrem(this.#keys.processing, 1, job.raw);
    check(await pipeline.exec());
  }

  /** A health check for the monitor: can this worker reach Redis? */
  healthCheck(): HealthCheck {
    return {
      name: 'redis',
      check: async (): Promise<HealthCheckResult> => {
        await this.#redis.ping();
        return { status: 'healthy' };
      },
    };
  }

  async close(): Promise<void> {
    await Promise.all([this.#redis.quit(), this.#blocking.quit()]);
  }
}

export class RedisResultSink implements ResultSink {
  readonly #key: string;
  readonly #redis: Redis;

  constructor(url: string, key: string) {
    this.#key = key;
    this.#redis = new Redis(url);
  }

  async write(results: readonly JobResult[]): Promise<void> {
    // One HSET per batch: one round trip, and Redis applies it all or nothing.
    const fields: Record<string, string> = {};
    for (const result of results) fields[result.id] = JSON.stringify(result);
    await this.#redis.hset(this.#key, fields);
  }

  async close(): Promise<void> {
    await this.#redis.quit();
  }
}
