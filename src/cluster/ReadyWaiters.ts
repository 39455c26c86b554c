import { ClosedError } from '../core/errors/ClosedError.js';
import { type Deferred, deferred } from './deferred.js';
import type { RestartPolicy } from './RestartPolicy.js';
import { isShuttingDown, type SupervisorHost } from './SupervisorHost.js';
import type { WorkerSpawner } from './WorkerSpawner.js';

/**
 * Callers waiting for every slot to have a ready worker (`start()`). They resolve when that is
 * so, and reject on a crash loop or a stop.
 */
export class ReadyWaiters {
  readonly #host: SupervisorHost;
  readonly #spawner: WorkerSpawner;
  readonly #restarts: RestartPolicy;
  #waiters: Deferred[] = [];

  constructor(host: SupervisorHost, spawner: WorkerSpawner, restarts: RestartPolicy) {
    this.#host = host;
    this.#spawner = spawner;
    this.#restarts = restarts;
  }

  /** Resolves when every slot's worker is ready. */
  wait(): Promise<void> {
    const waiter = deferred();
    this.#waiters.push(waiter);
    this.check();
    return waiter.promise;
  }

  /** Settles the waiters if the slots (or the supervisor) reached an outcome. */
  check(): void {
    if (this.#waiters.length === 0) return;
    let failure: Error | undefined = this.#restarts.crashLoopError;
    if (!failure && isShuttingDown(this.#host.state())) {
      failure = new ClosedError('ClusterSupervisor stopped before all workers were ready');
    }
    if (!failure) {
      for (const slot of this.#spawner.slots) {
        if (!slot.removed && slot.current?.state !== 'ready') return;
      }
    }
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) {
      if (failure) w.reject(failure);
      else w.resolve();
    }
  }
}
