import { WorkerThreadPool } from '../threads/index.js';
import { type Field, fields } from './fields.js';
import type { Kind } from './Kind.js';

const THREADS: readonly Field[] = [
  ['threads', 'workers', 'gauge', 'Worker threads alive (starting, busy or idle).'],
  ['busy', 'workers_busy', 'gauge', 'Worker threads with at least one task handed to them.'],
  ['queued', 'tasks_queued', 'gauge', 'Tasks waiting in the queue.'],
  ['running', 'tasks_running', 'gauge', 'Tasks handed to threads and not finished.'],
  ['completed', 'tasks_completed_total', 'counter', 'Tasks that resolved.'],
  [
    'failed',
    'tasks_failed_total',
    'counter',
    'Tasks that rejected (thrown, crashed, aborted, timed out, refused).',
  ],
  ['crashes', 'worker_crashes_total', 'counter', 'Threads replaced after exiting or crashing by themselves.'],
  [
    'utilization',
    'utilization_ratio',
    'gauge',
    'Share of the pool capacity spent running tasks since creation (0-1).',
  ],
];

/** `WorkerThreadPool`: the `threads_*` families, task run and wait times as summaries. @internal */
export const workerThreadPoolKind: Kind = {
  module: 'threads',
  is: (s) => s instanceof WorkerThreadPool,
  map: (b, stats, labels) => {
    fields(b, 'threads', stats, THREADS, labels);
    b.latency(
      'threads_task_duration_seconds',
      'Time tasks spent running in a thread.',
      stats.runTime,
      labels,
    );
    b.latency(
      'threads_task_wait_seconds',
      'Time tasks waited from run until handed to a thread.',
      stats.waitTime,
      labels,
    );
  },
};
