// The counters of a PriorityTaskQueue (internal), bumped by the façade, the dispatcher and the
// runner, and the `stats()` snapshot built from them and the queue's gauges.
import type { HealthStatus } from '../core/HealthCheck.js';
import type { PriorityTaskQueueStats } from './PriorityTaskQueueOptions.js';

/** The gauges of the queue's state that a snapshot reads (the dispatcher's). */
export interface QueueGauges {
  readonly size: number;
  readonly held: number;
  readonly running: number;
  readonly concurrency: number;
  readonly paused: boolean;
}

/** Counts since construction; see PriorityTaskQueueStats for what each one means. */
export class QueueCounters {
  added = 0;
  started = 0;
  completed = 0;
  failed = 0;
  timedOut = 0;
  retries = 0;
  shed = 0;
  rejectedFull = 0;
  aborted = 0;

  /** A fresh snapshot of the gauges and these counters. */
  stats(gauges: QueueGauges, load: HealthStatus, closed: boolean): PriorityTaskQueueStats {
    return {
      queued: gauges.size,
      deferred: gauges.held,
      running: gauges.running,
      concurrency: gauges.concurrency,
      load,
      paused: gauges.paused,
      closed,
      added: this.added,
      started: this.started,
      completed: this.completed,
      failed: this.failed,
      timedOut: this.timedOut,
      retries: this.retries,
      shed: this.shed,
      rejectedFull: this.rejectedFull,
      aborted: this.aborted,
    };
  }
}
