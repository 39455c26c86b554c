import { JobQueue } from '../jobs/index.js';
import { type Field, fields } from './fields.js';
import { type Kind, record } from './Kind.js';

const OUTCOMES: readonly Field[] = [
  ['completed', 'completed_total', 'counter', "Jobs this process's workers completed."],
  ['failed', 'attempts_failed_total', 'counter', 'Attempts that failed and will be retried.'],
  ['dead', 'dead_total', 'counter', 'Jobs that failed their last attempt here.'],
  ['stalled', 'stalled_total', 'counter', 'Expired leases this process recovered (their jobs run again).'],
];

const STATES = ['waiting', 'delayed', 'active', 'completed', 'failed', 'dead'] as const;

/**
 * `JobQueue`: the `jobs_*` families: this process's outcomes, wait and run times as summaries,
 * and the queue's depth by state as last read by `counts()` (absent before the first read).
 * @internal
 */
export const jobQueueKind: Kind = {
  module: 'jobs',
  is: (s) => s instanceof JobQueue,
  map: (b, stats, labels) => {
    fields(b, 'jobs', stats, OUTCOMES, labels);
    b.latency(
      'jobs_wait_seconds',
      'Time from a job being due to its handler starting.',
      stats.waitMs,
      labels,
    );
    b.latency('jobs_run_seconds', 'Time handlers ran.', stats.runMs, labels);
    if (stats.counts === null) return;
    const counts = record(stats.counts);
    for (const state of STATES) {
      b.gauge('jobs_depth', 'Jobs in the queue by state, as last counted.', counts[state], {
        ...labels,
        state,
      });
    }
  },
};
