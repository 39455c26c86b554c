import { InvalidOptionError } from '../core/errors/InvalidOptionError.js';
import { withDeadline } from '../core/internal/deadline.js';
import { hashTagSafe, type LuaScript, runScript } from '../core/internal/luaScript.js';
import { checkOptionKeys, integerOption, optionNames, optionsObject } from '../core/internal/validate.js';
import type {
  AddOutcome,
  JobCounts,
  JobStore,
  LeasedJob,
  NewJob,
  Settlement,
  StoredJob,
  TakeRequest,
  TakeResult,
} from './JobStore.js';
import type { RedisJobClient } from './redis/RedisJobClient.js';
import { fromRecord, type JobRecordJson } from './redis/record.js';
import { jobScripts } from './redis/scripts.js';
import { WakeSubscriber } from './redis/WakeSubscriber.js';

/** Options of {@link RedisJobStore}. */
export type RedisJobStoreOptions = {
  /**
   * Your ioredis `Redis` or `Cluster` client; the store neither connects nor closes it. With
   * `enableOfflineQueue: false`, `add` fails at once while Redis is down; otherwise commands wait
   * in ioredis's queue until it returns or `maxRetriesPerRequest` gives up.
   */
  readonly client: RedisJobClient;
  /**
   * Starts every key. A partition's keys are `<prefix>{<queue>:<partition>}:…`; the braces are its
   * hash tag (braces and `%` in a queue name are percent-encoded inside it).
   * @default 'lsj:'
   */
  readonly prefix?: string;
  /**
   * Longest wait for one store call (one script) in ms; past it the call fails with a
   * `TimeoutError` (inside the queue's `JobStoreError`, or the worker's `store:failed` event).
   * A hung Redis (a frozen server, a black-holed route) answers nothing and closes nothing, and
   * ioredis bounds no such wait by itself. A timed-out call may still have run: an `add` that
   * timed out may have stored its jobs (retry it with the same `jobId` to stay exactly-once), a
   * `take` may have leased jobs, which come back when their visibility timeout ends.
   * `0` means no limit. Maximum: 2^31 − 1.
   * @default 10_000
   */
  readonly commandTimeoutMs?: number;
};

const KNOWN = optionNames<RedisJobStoreOptions>()(['client', 'prefix', 'commandTimeoutMs']);

export type { RedisJobClient, RedisJobSubscriber } from './redis/RedisJobClient.js';

/**
 * The durable {@link JobStore}: jobs in Redis (or a Redis Cluster), shared by every process and
 * machine that uses the same Redis. Each operation on a partition is one Lua script, so it is
 * atomic and one round trip: a worker settles every job it finished and leases its next ones in
 * one call. Each partition has its own hash tag, so a queue with `partitions: 8` spreads over the
 * masters of a cluster. Leases, due times and retries use the server's clock. An idle worker
 * blocks on nothing: it subscribes (one extra connection per store) to a channel an `add`
 * publishes on, and polls at its `pollIntervalMs` otherwise. docs/jobs.md gives the layout and
 * what `appendfsync` buys.
 *
 * @example
 * {@includeCode ../../test/integration/jobs-redis.test.ts#redisJobStore}
 */
export class RedisJobStore implements JobStore {
  /** `redis`. */
  readonly name = 'redis';
  readonly #client: RedisJobClient;
  readonly #prefix: string;
  readonly #commandTimeoutMs: number;
  readonly #wake: WakeSubscriber;

  /**
   * @param options - the client and the key prefix.
   * @throws an {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION` for a client without
   * `evalsha`, `eval` and `duplicate`, or a prefix that is not a string.
   */
  constructor(options: RedisJobStoreOptions) {
    const opts = optionsObject('options', options);
    checkOptionKeys(opts, KNOWN, 'RedisJobStore');
    const client = opts.client as Partial<RedisJobClient> | undefined;
    if (
      typeof client?.evalsha !== 'function' ||
      typeof client.eval !== 'function' ||
      typeof client.duplicate !== 'function'
    ) {
      throw new InvalidOptionError('options.client', 'an ioredis Redis or Cluster client', client);
    }
    if (opts.prefix !== undefined && typeof opts.prefix !== 'string') {
      throw new InvalidOptionError('options.prefix', 'a string', opts.prefix);
    }
    this.#client = client as RedisJobClient;
    this.#prefix = opts.prefix ?? 'lsj:';
    this.#commandTimeoutMs = integerOption(
      'options.commandTimeoutMs',
      opts.commandTimeoutMs ?? 10_000,
      0,
      2 ** 31 - 1,
    );
    this.#wake = new WakeSubscriber(() => this.#client.duplicate());
  }

  /** {@inheritDoc JobStore.add} */
  async add(queue: string, partition: number, jobs: readonly NewJob[], now: number): Promise<AddOutcome[]> {
    const args: (string | number)[] = [this.#partitionPrefix(queue, partition), now, this.#channel(queue)];
    for (const job of jobs) {
      const { jitter, baseDelayMs, maxDelayMs } = job.backoff;
      args.push(
        job.id,
        job.data,
        job.key ?? '',
        job.score,
        job.priority,
        job.dueAt,
        job.addedAt,
        job.attempts,
      );
      args.push(`${jitter},${baseDelayMs},${maxDelayMs}`);
    }
    const reply = (await this.#run(jobScripts.add, args)) as number[];
    return reply.map((added) => (added === 1 ? 'added' : 'duplicate'));
  }

  /** {@inheritDoc JobStore.take} */
  async take(request: TakeRequest): Promise<TakeResult> {
    const { queue, partition } = request;
    const args: (string | number)[] = [
      this.#partitionPrefix(queue, partition),
      request.now,
      this.#channel(queue),
      request.max,
      request.leaseMs,
      request.sweepLimit,
      request.keepCompleted,
      request.keepCompletedMs,
    ];
    for (const settlement of request.settle) args.push(...settlementArgs(settlement));
    const [lost, stalled, flat, nextAt] = (await this.#run(jobScripts.take, args)) as [
      string[],
      string[],
      (string | number)[],
      number,
    ];
    const jobs: LeasedJob[] = [];
    for (let i = 0; i < flat.length; i += 4) {
      const record = JSON.parse(flat[i + 2] as string) as JobRecordJson;
      jobs.push(fromRecord(flat[i] as string, flat[i + 1] as string, record, flat[i + 3] as number));
    }
    return { jobs, lost, stalled, nextAt: nextAt < 0 ? undefined : nextAt };
  }

  /** {@inheritDoc JobStore.extend} */
  async extend(
    queue: string,
    partition: number,
    leases: readonly { readonly id: string; readonly token: string }[],
    _now: number,
    leaseMs: number,
  ): Promise<string[]> {
    const args: (string | number)[] = [this.#partitionPrefix(queue, partition), leaseMs];
    for (const { id, token } of leases) args.push(id, token);
    return (await this.#run(jobScripts.extend, args)) as string[];
  }

  /** {@inheritDoc JobStore.counts} */
  async counts(queue: string, partitions: number): Promise<JobCounts> {
    const replies = await Promise.all(
      Array.from({ length: partitions }, (_, p) =>
        this.#run(jobScripts.counts, [this.#partitionPrefix(queue, p)]),
      ),
    );
    const total = { waiting: 0, delayed: 0, active: 0, completed: 0, failed: 0, dead: 0 };
    for (const reply of replies as number[][]) {
      total.waiting += reply[0] as number;
      total.delayed += reply[1] as number;
      total.active += reply[2] as number;
      total.completed += reply[3] as number;
      total.failed += reply[4] as number;
      total.dead += reply[5] as number;
    }
    return total;
  }

  /** {@inheritDoc JobStore.getJob} */
  async getJob(queue: string, partition: number, id: string): Promise<StoredJob | undefined> {
    const reply = (await this.#run(jobScripts.get, [this.#partitionPrefix(queue, partition), id])) as
      | [string, string, number]
      | null;
    if (reply === null) return undefined;
    const record = JSON.parse(reply[1]) as JobRecordJson;
    const { token: _token, ...job } = fromRecord(id, reply[0], record, 0);
    return {
      ...job,
      state: STATES[record.st],
      leaseUntil: reply[2] < 0 ? undefined : reply[2],
      finishedAt: record.fi,
      result: record.rs,
    };
  }

  /** {@inheritDoc JobStore.retryDead} */
  async retryDead(queue: string, partition: number, limit: number, _now: number): Promise<number> {
    const args = [this.#partitionPrefix(queue, partition), this.#channel(queue), Math.min(limit, 1_000_000)];
    return (await this.#run(jobScripts.retryDead, args)) as number;
  }

  /** {@inheritDoc JobStore.waitForWork} */
  waitForWork(queue: string, timeoutMs: number, signal: AbortSignal): Promise<void> {
    return this.#wake.wait(this.#channel(queue), timeoutMs, signal);
  }

  /** Closes the subscription connection (not the client you gave). */
  async close(): Promise<void> {
    await this.#wake.close();
  }

  #partitionPrefix(queue: string, partition: number): string {
    return `${this.#prefix}{${hashTagSafe(queue)}:${partition}}:`;
  }

  #channel(queue: string): string {
    return `${this.#prefix}wake:${queue}`;
  }

  #run(script: LuaScript, args: (string | number)[]): Promise<unknown> {
    return withDeadline(
      this.#evaluate(script, args),
      this.#commandTimeoutMs,
      `Redis job store ${script.name}`,
    );
  }

  #evaluate(script: LuaScript, args: (string | number)[]): Promise<unknown> {
    // KEYS[1] routes the call to the partition's slot; the scripts build every key from ARGV[1].
    return runScript(this.#client, script, 1, [`${args[0] as string}n`, ...args]);
  }
}

const STATES = { w: 'waiting', d: 'delayed', a: 'active', c: 'completed', f: 'failed', x: 'dead' } as const;

function settlementArgs(settlement: Settlement): (string | number)[] {
  switch (settlement.kind) {
    case 'complete':
      return ['c', settlement.id, settlement.token, settlement.result ?? '', 0];
    case 'dead':
      return ['x', settlement.id, settlement.token, settlement.error, 0];
    case 'retry':
      return ['r', settlement.id, settlement.token, settlement.error, settlement.delayMs];
    case 'release':
      return ['l', settlement.id, settlement.token, '', 0];
  }
}
