import { healthStatuses } from '../core/HealthCheck.js';
import { PriorityTaskQueue } from '../queue/index.js';
import { type Field, fields } from './fields.js';
import type { Kind } from './Kind.js';

const QUEUE: readonly Field[] = [
  ['queued', 'tasks_queued', 'gauge', 'Tasks waiting to start, deferred ones included.'],
  ['deferred', 'tasks_deferred', 'gauge', 'Waiting tasks held back because the load is critical.'],
  ['running', 'tasks_running', 'gauge', 'Tasks running.'],
  ['concurrency', 'concurrency', 'gauge', 'Concurrency in force (lowered while the load is degraded).'],
  ['paused', 'paused', 'gauge', '1 when the queue is paused.'],
  ['added', 'tasks_added_total', 'counter', 'Tasks accepted by add.'],
  ['started', 'tasks_started_total', 'counter', 'Tasks started.'],
  ['completed', 'tasks_completed_total', 'counter', 'Tasks that resolved.'],
  ['failed', 'tasks_failed_total', 'counter', 'Tasks that rejected after starting.'],
  ['timedOut', 'tasks_timed_out_total', 'counter', 'Tasks that timed out on their last attempt.'],
  ['retries', 'task_retries_total', 'counter', 'Retries made (attempts after the first).'],
  ['shed', 'tasks_shed_total', 'counter', 'Tasks refused at add by load shedding.'],
  ['rejectedFull', 'tasks_rejected_total', 'counter', 'Tasks refused at add because the queue was full.'],
  ['aborted', 'tasks_aborted_total', 'counter', 'Tasks aborted by their caller.'],
];

/** `PriorityTaskQueue`: the `queue_*` families and the load status it last read. @internal */
export const priorityTaskQueueKind: Kind = {
  module: 'queue',
  is: (s) => s instanceof PriorityTaskQueue,
  map: (b, stats, labels) => {
    fields(b, 'queue', stats, QUEUE, labels);
    b.stateSet(
      'queue_load',
      'Load status last read from the load signal (1 for the current one).',
      'status',
      healthStatuses,
      stats.load,
      labels,
    );
  },
};
