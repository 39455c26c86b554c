// The counters of a PriorityTaskQueue (internal), bumped by the façade, the dispatcher and the
// runner, read by `stats()`.

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
}
