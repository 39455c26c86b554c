// What a JobWorker needs of its JobQueue beyond the public surface: the resolved options, the
// partition of a job, and where to report. Kept in a WeakMap so that none of it is API.
import type { EventEmitter } from 'node:events';
import type { LatencyRecorder } from '../core/LatencyRecorder.js';
import type { JobQueueEvents } from './events.js';
import type { ResolvedJobQueueOptions } from './resolveJobQueueOptions.js';

/** @internal */
export type QueueCore = {
  readonly options: ResolvedJobQueueOptions;
  readonly events: EventEmitter<JobQueueEvents>;
  /** From due to handler start, in ms. */
  readonly waitMs: LatencyRecorder;
  /** Handler run time, in ms. */
  readonly runMs: LatencyRecorder;
  /** Outcomes seen by this process's workers. */
  readonly outcomes: { completed: number; failed: number; dead: number; stalled: number };
};

const cores = new WeakMap<object, QueueCore>();

/** @internal */
export function attachCore(queue: object, core: QueueCore): void {
  cores.set(queue, core);
}

/** The core of a JobQueue, or `undefined` for anything else. @internal */
export function coreOf(queue: unknown): QueueCore | undefined {
  return typeof queue === 'object' && queue !== null ? cores.get(queue) : undefined;
}
