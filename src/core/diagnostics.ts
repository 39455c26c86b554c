/**
 * The names of loadstone's `node:diagnostics_channel` tracing channels. Public API: a name and
 * its context's fields are never renamed or removed in a minor release.
 *
 * Each is a `TracingChannel`: subscribe with `tracingChannel(name).subscribe({ start, end,
 * asyncStart, asyncEnd, error })` (or `subscribe('tracing:<name>:asyncEnd', fn)`). The same context
 * object goes through all five events of one operation; Node adds `result` or `error` to it when
 * the operation settles. With no subscriber a channel costs next to nothing (a few property reads;
 * bench/cases/diagnostics.bench.ts measures it). `loadstone/otel` turns them into spans.
 *
 * @example
 * {@includeCode ./diagnostics.test.ts#diagnosticsChannels}
 */
export const diagnosticsChannels = Object.freeze({
  /** A `WorkerThreadPool.run` task, from the call to its result. Context: {@link ThreadTaskContext}. */
  threadTask: 'loadstone:threads:task',
  /** A `ConnectionPool.acquire`, until a resource is handed out. Context: {@link PoolAcquireContext}. */
  poolAcquire: 'loadstone:pool:acquire',
  /** A `TieredCache` loader call (a miss, or a refresh ahead). Context: {@link CacheLoadContext}. */
  cacheLoad: 'loadstone:cache:load',
  /** A `JobWorker` handler run, one attempt of one job. Context: {@link JobRunContext}. */
  jobRun: 'loadstone:jobs:run',
} as const);

/** What every channel's context gets from Node when the operation settles. */
export type TracedOutcome = {
  /** The operation's value, once it resolved. */
  result?: unknown;
  /** What it rejected with. */
  error?: unknown;
};

/** The context of {@link diagnosticsChannels}`.threadTask`. */
export type ThreadTaskContext = TracedOutcome & {
  /** The pool's `name`. */
  readonly pool: string;
  /** The task function's name (`options.name`), or `undefined` for the module's default export. */
  readonly task: string | undefined;
};

/** The context of {@link diagnosticsChannels}`.poolAcquire`. */
export type PoolAcquireContext = TracedOutcome & {
  /** The pool's name in its `ConnectionPoolManager`. */
  readonly pool: string;
};

/** The context of {@link diagnosticsChannels}`.cacheLoad`. */
export type CacheLoadContext = TracedOutcome & {
  /** The cache's `name`. */
  readonly cache: string;
  /** The key being loaded: request data, so keep it out of metric labels. */
  readonly key: string;
  /** `true` for a refresh ahead of expiry (nobody waits on it), `false` for a miss. */
  readonly refresh: boolean;
};

/** The context of {@link diagnosticsChannels}`.jobRun`. */
export type JobRunContext = TracedOutcome & {
  /** The queue's `name`. */
  readonly queue: string;
  /** The job's id. */
  readonly jobId: string;
  /** Which attempt this is, from 1. */
  readonly attempt: number;
};
