// The soak's faults: a rolling reload (SIGHUP to the primary) every minute, and one Redis restart
// (SIGTERM, a pause, then a new redis-server on the same port and directory, whose append-only
// file brings the users back).
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { type RedisServerHandle, startRedis } from '../../test/helpers/redisServer.js';
import { fetchAdminStats } from './sampler.js';

/** Seconds after Redis is back during which failures are still allowed (the restart window's tail). */
export const RESTART_GRACE_MS = 10_000;
/** How long Redis stays down. */
export const REDIS_DOWN_MS = 3_000;
const RELOAD_TIMEOUT_MS = 60_000;

/** A redis-server that keeps its data across restarts (append-only file, fsync every second). */
export class SoakRedis {
  readonly dir: string;
  #server: RedisServerHandle | undefined;

  constructor(dir: string) {
    this.dir = dir;
  }

  get url(): string {
    return this.#handle().url;
  }

  get port(): number {
    return this.#handle().port;
  }

  /** Starts it (on `port`, or a free one). */
  async start(port?: number): Promise<void> {
    const extraArgs = ['--dir', this.dir, '--appendonly', 'yes', '--appendfsync', 'everysec'];
    const server = await startRedis({ ...(port === undefined ? {} : { port }), extraArgs });
    if (server === undefined)
      throw new Error('redis-server is not on PATH (apt-get install -y redis-server)');
    this.#server = server;
  }

  /** SIGTERM (Redis flushes the append-only file on a clean shutdown) and wait for the exit. */
  async stop(): Promise<void> {
    await this.#server?.stop();
  }

  #handle(): RedisServerHandle {
    if (this.#server === undefined) throw new Error('redis-server not started');
    return this.#server;
  }
}

export type ReloadRecord = {
  /** Milliseconds since the start of the load: SIGHUP sent. */
  readonly startMs: number;
  /** When the admin stats counted the reload (every old worker exited), or `undefined`. */
  readonly endMs: number | undefined;
  readonly oldPids: readonly number[];
  readonly newPids: readonly number[];
  readonly error: string | undefined;
};

export type RestartRecord = {
  /** SIGTERM sent to redis-server. */
  readonly stopMs: number;
  /** redis-server exited. */
  readonly stoppedMs: number;
  /** The new redis-server accepts connections. */
  readonly readyMs: number;
  /** End of the restart window: `readyMs` + {@link RESTART_GRACE_MS}. */
  readonly windowEndMs: number;
  /** Users (`express-auth:user:*` keys) just before the stop and just after the start. */
  readonly usersBefore: number | undefined;
  readonly usersAfter: number | undefined;
};

export type FaultDriverOptions = {
  readonly primaryPid: number;
  readonly adminUrl: string;
  readonly redis: SoakRedis;
  /** Milliseconds since the start of the load. */
  readonly now: () => number;
  readonly log: (line: string) => void;
};

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

export class FaultDriver {
  readonly reloads: ReloadRecord[] = [];
  restart: RestartRecord | undefined;
  /** SIGHUP sent and the reload not counted yet. */
  reloading = false;
  /** Set once the stop began, so a window is known while Redis is down. */
  #restartStartMs: number | undefined;
  #stopped = false;
  readonly #options: FaultDriverOptions;

  constructor(options: FaultDriverOptions) {
    this.#options = options;
  }

  /**
   * Runs the schedule: a reload at each minute boundary before the end, and the Redis restart at
   * `restartAtMs`. Returns when all ran (or {@link stop} was called).
   */
  async run(minutes: number, restartAtMs: number): Promise<void> {
    const plan: { atMs: number; run: () => Promise<void> }[] = [];
    for (let m = 1; m < minutes; m++) plan.push({ atMs: m * 60_000, run: () => this.#reload() });
    plan.push({ atMs: restartAtMs, run: () => this.#restartRedis() });
    plan.sort((a, b) => a.atMs - b.atMs);
    for (const step of plan) {
      while (!this.#stopped && this.#options.now() < step.atMs) {
        await sleep(Math.min(500, step.atMs - this.#options.now()));
      }
      if (this.#stopped) return;
      await step.run();
    }
  }

  stop(): void {
    this.#stopped = true;
  }

  /** Whether `[startMs, endMs]` overlaps the Redis restart window (from the stop to `windowEndMs`). */
  inRestartWindow(startMs: number, endMs: number): boolean {
    if (this.#restartStartMs === undefined) return false;
    const windowEnd = this.restart?.windowEndMs ?? Number.POSITIVE_INFINITY;
    return endMs >= this.#restartStartMs && startMs <= windowEnd;
  }

  async #reload(): Promise<void> {
    const { adminUrl, primaryPid, now, log } = this.#options;
    const before = await fetchAdminStats(adminUrl);
    const oldPids = before.workers.map((w) => w.pid);
    const startMs = now();
    this.reloading = true;
    let endMs: number | undefined;
    let newPids: number[] = [];
    let error: string | undefined;
    try {
      process.kill(primaryPid, 'SIGHUP');
      const deadline = performance.now() + RELOAD_TIMEOUT_MS;
      for (;;) {
        await sleep(100);
        const stats = await fetchAdminStats(adminUrl).catch(() => undefined);
        if (stats !== undefined && stats.reloads > before.reloads) {
          endMs = now();
          newPids = stats.workers.map((w) => w.pid);
          break;
        }
        if (stats !== undefined && stats.crashes > before.crashes) {
          // A replacement died before it was ready: the reload was abandoned (the primary's SIGHUP
          // handler reports nothing), so it will never be counted.
          error = `a new worker crashed (crashes ${before.crashes} → ${stats.crashes})`;
          break;
        }
        if (performance.now() > deadline) {
          error = `not counted within ${RELOAD_TIMEOUT_MS} ms`;
          break;
        }
      }
    } catch (e) {
      error = String(e);
    } finally {
      this.reloading = false;
    }
    this.reloads.push({ startMs, endMs, oldPids, newPids, error });
    const took = endMs === undefined ? (error ?? '?') : `${Math.round(endMs - startMs)} ms`;
    log(`reload ${this.reloads.length} at ${(startMs / 1000).toFixed(1)} s: ${took}`);
  }

  async #restartRedis(): Promise<void> {
    const { redis, now, log } = this.#options;
    const port = redis.port;
    const usersBefore = await countUsers(redis.url);
    const stopMs = now();
    this.#restartStartMs = stopMs;
    log(`redis: stopping at ${(stopMs / 1000).toFixed(1)} s (${usersBefore} users)`);
    await redis.stop();
    const stoppedMs = now();
    await sleep(REDIS_DOWN_MS);
    await redis.start(port);
    const readyMs = now();
    const usersAfter = await countUsers(redis.url);
    this.restart = {
      stopMs,
      stoppedMs,
      readyMs,
      windowEndMs: readyMs + RESTART_GRACE_MS,
      usersBefore,
      usersAfter,
    };
    log(`redis: back at ${(readyMs / 1000).toFixed(1)} s (${usersAfter} users)`);
  }
}

/** The example's users in Redis (cache and rate-limit keys expire, so DBSIZE would not tell). */
async function countUsers(url: string): Promise<number | undefined> {
  const client = new Redis(url, { maxRetriesPerRequest: 1, lazyConnect: true });
  client.on('error', () => {});
  try {
    await client.connect();
    let count = 0;
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', 'express-auth:user:*', 'COUNT', 1000);
      cursor = next;
      count += keys.length;
    } while (cursor !== '0');
    return count;
  } catch {
    return undefined;
  } finally {
    client.disconnect();
  }
}
