// The counters behind WorkerThreadPool's stats() and check(). Internal.
import { performance } from 'node:perf_hooks';
import { LatencyRecorder } from '../core/LatencyRecorder.js';
import type { WorkerThreadPoolStats } from './WorkerThreadPoolOptions.js';

/** Counts and timings the pool's collaborators update and `stats()` reads. */
export class PoolCounters {
  /** Tasks handed to threads and not finished. */
  running = 0;
  completed = 0;
  failed = 0;
  /** Threads that exited or crashed by themselves. */
  crashes = 0;
  /** Sum of every task's run time (ms), for `utilization`. */
  runTotalMs = 0;
  readonly runTime = new LatencyRecorder();
  readonly waitTime = new LatencyRecorder();
  readonly createdAt = performance.now();

  /** `stats()`: these counters with the pool's current figures, as a fresh plain object. */
  snapshot(threads: number, busy: number, queued: number, maxThreads: number): WorkerThreadPoolStats {
    const elapsed = performance.now() - this.createdAt;
    return {
      threads,
      busy,
      queued,
      running: this.running,
      completed: this.completed,
      failed: this.failed,
      crashes: this.crashes,
      utilization: elapsed > 0 ? Math.min(1, this.runTotalMs / (elapsed * maxThreads)) : 0,
      runTime: this.runTime.snapshot(),
      waitTime: this.waitTime.snapshot(),
    };
  }
}
