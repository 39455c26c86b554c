// What the collaborators of one WorkerThreadPool share. Internal.
import type { EventEmitter } from 'node:events';
import type { PoolCounters } from './PoolCounters.js';
import type { PoolState } from './PoolState.js';
import type { RunQueue } from './RunQueue.js';
import type { ResolvedWorkerThreadPoolOptions } from './resolveOptions.js';
import type { Task } from './Task.js';
import type { WorkerThreadPoolEvents } from './WorkerThreadPoolOptions.js';

/** Built once by the pool's constructor and handed to each collaborator it creates. */
export type PoolContext = {
  readonly options: ResolvedWorkerThreadPoolOptions;
  /** Tasks waiting for a thread. */
  readonly queue: RunQueue<Task>;
  readonly counters: PoolCounters;
  readonly state: PoolState;
  /** The pool itself, as the emitter of its events. */
  readonly events: EventEmitter<WorkerThreadPoolEvents>;
};
