// Validation and defaults of WorkerThreadPool options. Internal.
import { availableParallelism } from 'node:os';
import { resolve as resolvePath } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ResourceLimits } from 'node:worker_threads';
import { InvalidOptionError } from '../core/errors/InvalidOptionError.js';
import {
  booleanOption,
  checkOptionKeys,
  integerOption,
  MAX_TIMER_MS,
  nonEmptyStringOption,
  optionNames,
  optionsObject,
} from '../core/internal/validate.js';
import { warnUnbounded } from '../core/internal/warnUnbounded.js';
import type { ThreadRunOptions, WorkerThreadPoolOptions } from './WorkerThreadPoolOptions.js';

const OPTIONS = optionNames<WorkerThreadPoolOptions>()([
  'filename',
  'name',
  'minThreads',
  'maxThreads',
  'idleTimeoutMs',
  'maxQueue',
  'taskTimeoutMs',
  'closeTimeoutMs',
  'pipelineDepth',
  'resourceLimits',
  'env',
  'workerData',
  'execArgv',
  'recordTiming',
]);
/** The options of `run`, checked on each call that passes some. */
export const RUN_OPTIONS = optionNames<ThreadRunOptions>()([
  'name',
  'filename',
  'signal',
  'transferList',
  'timeoutMs',
  'priority',
]);

/** {@link WorkerThreadPoolOptions} with defaults applied, frozen. */
export type ResolvedWorkerThreadPoolOptions = {
  readonly filename: string | undefined;
  readonly name: string;
  readonly minThreads: number;
  readonly maxThreads: number;
  readonly idleTimeoutMs: number;
  readonly maxQueue: number;
  readonly taskTimeoutMs: number;
  readonly closeTimeoutMs: number;
  readonly pipelineDepth: number;
  readonly resourceLimits: ResourceLimits | undefined;
  readonly env: NodeJS.Dict<string> | symbol | undefined;
  readonly workerData: unknown;
  readonly execArgv: readonly string[] | undefined;
  readonly recordTiming: boolean;
};

/**
 * Turns a worker module path or URL into the `file:` URL string the thread imports.
 *
 * @throws InvalidOptionError for anything else.
 */
export function moduleUrl(path: string, value: unknown): string {
  if (value instanceof URL) {
    if (value.protocol !== 'file:') throw new InvalidOptionError(path, 'a path or a file: URL', value);
    return value.href;
  }
  const filename = nonEmptyStringOption(path, value);
  if (filename.startsWith('file:')) return new URL(filename).href;
  return pathToFileURL(resolvePath(filename)).href;
}

/**
 * Validates `options` and applies defaults.
 *
 * @throws InvalidOptionError naming the first bad option.
 */
export function resolveOptions(
  options: WorkerThreadPoolOptions | undefined,
): ResolvedWorkerThreadPoolOptions {
  const o = optionsObject('options', options);
  // `workerData` is the user's own value, `null` included: the only option that may hold it.
  const { workerData: _, ...named } = o;
  checkOptionKeys(named, OPTIONS, 'WorkerThreadPool');
  const filename = o.filename === undefined ? undefined : moduleUrl('options.filename', o.filename);
  const name = nonEmptyStringOption('options.name', o.name ?? 'threads');
  const maxThreads = integerOption('options.maxThreads', o.maxThreads ?? availableParallelism(), 1, 1024);
  const minThreads = integerOption('options.minThreads', o.minThreads ?? 0, 0, maxThreads);
  const idleTimeoutMs = integerOption('options.idleTimeoutMs', o.idleTimeoutMs ?? 10_000, 0, MAX_TIMER_MS);
  let maxQueue = o.maxQueue ?? 10_000;
  if (maxQueue === Number.POSITIVE_INFINITY) {
    warnUnbounded(
      'LOADSTONE_WARN_THREADS_UNBOUNDED_QUEUE',
      'WorkerThreadPool with maxQueue: Infinity: tasks can pile up without limit when threads fall behind',
    );
  } else {
    maxQueue = integerOption('options.maxQueue', maxQueue, 0);
  }
  const taskTimeoutMs = integerOption('options.taskTimeoutMs', o.taskTimeoutMs ?? 0, 0, MAX_TIMER_MS);
  const closeTimeoutMs = integerOption('options.closeTimeoutMs', o.closeTimeoutMs ?? 30_000, 0, MAX_TIMER_MS);
  const pipelineDepth = integerOption('options.pipelineDepth', o.pipelineDepth ?? 32, 1, 1024);
  const resourceLimits = o.resourceLimits;
  if (resourceLimits !== undefined && (typeof resourceLimits !== 'object' || resourceLimits === null)) {
    throw new InvalidOptionError('options.resourceLimits', 'an object', resourceLimits);
  }
  const env = o.env;
  if (env !== undefined && typeof env !== 'symbol' && (typeof env !== 'object' || env === null)) {
    throw new InvalidOptionError('options.env', 'an object or worker_threads.SHARE_ENV', env);
  }
  const execArgv = o.execArgv;
  if (execArgv !== undefined && (!Array.isArray(execArgv) || !execArgv.every((a) => typeof a === 'string'))) {
    throw new InvalidOptionError('options.execArgv', 'an array of strings', execArgv);
  }
  const recordTiming = booleanOption('options.recordTiming', o.recordTiming ?? true);
  return Object.freeze({
    filename,
    name,
    minThreads,
    maxThreads,
    idleTimeoutMs,
    maxQueue,
    taskTimeoutMs,
    closeTimeoutMs,
    pipelineDepth,
    resourceLimits: resourceLimits === undefined ? undefined : Object.freeze({ ...resourceLimits }),
    env,
    workerData: o.workerData,
    execArgv: execArgv === undefined ? undefined : Object.freeze([...execArgv]),
    recordTiming,
  });
}
