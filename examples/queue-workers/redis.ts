// The Redis parts: the queue's store (loadstone's RedisJobStore: leases, crash recovery, retries,
// no hand-written reliable queue), the result sink (one HSET per batch, idempotent by job id, so a
// job that runs twice after a crash writes the same field twice), and a health check.
import { Redis } from 'ioredis';
import type { HealthCheck, HealthCheckResult } from 'loadstone';
import { RedisJobStore } from 'loadstone/jobs';
import type { JobResult, ResultSink } from './jobs.js';

export class RedisParts {
  readonly redis: Redis;
  readonly store: RedisJobStore;

  constructor(url: string) {
    this.redis = new Redis(url);
    // Without an `error` listener ioredis prints "Unhandled error event" on every reconnect
    // attempt: say it once per outage (the health check reports it too).
    let down = false;
    this.redis.on('error', (error: Error) => {
      if (!down) console.warn(`queue-workers: Redis unreachable (${error.message}); retrying`);
      down = true;
    });
    this.redis.on('ready', () => {
      down = false;
    });
    this.store = new RedisJobStore({ client: this.redis });
  }

  /** A health check for the monitor: can this worker reach Redis? */
  healthCheck(): HealthCheck {
    return {
      name: 'redis',
      check: async (): Promise<HealthCheckResult> => {
        await this.redis.ping();
        return { status: 'healthy' };
      },
    };
  }

  async close(): Promise<void> {
    await this.store.close();
    await this.redis.quit();
  }
}

export class RedisResultSink implements ResultSink {
  readonly #key: string;
  readonly #redis: Redis;

  constructor(redis: Redis, key: string) {
    this.#key = key;
    this.#redis = redis;
  }

  async write(results: readonly JobResult[]): Promise<void> {
    // One HSET per batch: one round trip, and Redis applies it all or nothing.
    const fields: Record<string, string> = {};
    for (const result of results) fields[result.id] = JSON.stringify(result);
    await this.#redis.hset(this.#key, fields);
  }

  async close(): Promise<void> {
    // The connection belongs to RedisParts.
  }
}
