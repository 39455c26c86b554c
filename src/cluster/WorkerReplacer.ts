import type { WorkerStartReason } from './ClusterStats.js';
import type { WorkerSlot } from './ManagedWorker.js';
import type { RestartPolicy } from './RestartPolicy.js';
import type { SupervisorHost } from './SupervisorHost.js';
import type { WorkerSpawner } from './WorkerSpawner.js';

/** A replacement that serves; `retired` settles when the worker it replaced exited. */
export type Replacement = { retired: Promise<void> };

/**
 * Replaces a slot's worker without a gap: the new worker starts beside the old one, which drains
 * only once the new one serves. Rolling reloads and the watchdog's replacements go through here.
 */
export class WorkerReplacer {
  readonly #host: SupervisorHost;
  readonly #spawner: WorkerSpawner;
  readonly #restarts: RestartPolicy;

  constructor(host: SupervisorHost, spawner: WorkerSpawner, restarts: RestartPolicy) {
    this.#host = host;
    this.#spawner = spawner;
    this.#restarts = restarts;
  }

  /**
   * Starts a replacement in `slot`, waits for it to be ready, then retires the old worker.
   * Resolves once the new worker serves; `retired` settles when the old one exited.
   */
  async replace(slot: WorkerSlot, reason: WorkerStartReason, force: boolean): Promise<Replacement> {
    if (this.#host.state() !== 'running' || slot.incoming !== undefined)
      return { retired: Promise.resolve() };
    const spawner = this.#spawner;
    const old = slot.current;
    const next = spawner.fork(slot, reason);
    try {
      await next.ready.promise;
    } catch (error) {
      if (this.#host.state() === 'running' && slot.current === undefined && slot.incoming === undefined) {
        this.#restarts.scheduleRestart(slot, 0);
      }
      throw error;
    }
    if (slot.incoming === next) {
      slot.incoming = undefined;
      slot.current = next;
    }
    spawner.syncRouter(slot);
    return { retired: old && old !== next ? spawner.retire(old, force) : Promise.resolve() };
  }
}
