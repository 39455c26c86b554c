// The counters behind WorkerThreadPool's stats() and check(). Internal.
import { performance } from 'node:perf_hooks';
import { LatencyRecorder } from '../core/LatencyRecorder.js';

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

  /** Share of `maxThreads` threads' time spent running tasks since the pool was created. */
  utilization(maxThreads: number): number {
    const elapsed = performance.now() - this.createdAt;
    return elapsed > 0 ? Math.min(1, this.runTotalMs / (elapsed * maxThreads)) : 0;
  }
}
