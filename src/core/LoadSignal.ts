import type { HealthStatus } from './HealthCheck.js';

/** One transition of a {@link LoadSignal}, as delivered to its listeners. */
export type LoadChange = {
  /** The new status. */
  readonly status: HealthStatus;
  /** The status before this change; never equal to `status`. */
  readonly previous: HealthStatus;
  /** Why it changed, e.g. `event loop delay p99 182 ms > 100 ms`. */
  readonly reason?: string;
  /** When it changed, in ms from the signal's `Clock`. */
  readonly at: number;
};

/**
 * The current load of a process as one status, to react to. The health monitor publishes one;
 * queues, pools and balancers read it to shed or steer work (`degraded`: drop optional work,
 * `critical`: refuse new work).
 *
 * @example
 * {@includeCode ./ManualLoadSignal.test.ts#loadSignal}
 */
export interface LoadSignal {
  /** The current status. */
  readonly status: HealthStatus;

  /**
   * Calls `listener` on every change of `status`, synchronously, after `status` is updated.
   * It is not called with the current status on subscribing; read `status` for that.
   *
   * @param listener - receives each change. What it throws is reported as a process warning,
   * never to the code that changed the status nor to the other listeners.
   * @returns a handle whose `[Symbol.dispose]()` unsubscribes (idempotent; `using` works).
   */
  subscribe(listener: (change: LoadChange) => void): Disposable;
}
