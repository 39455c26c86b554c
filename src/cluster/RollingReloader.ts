import { performance } from 'node:perf_hooks';
import { ClosedError } from '../core/errors/ClosedError.js';
import type { SupervisorHost } from './SupervisorHost.js';
import type { WorkerReplacer } from './WorkerReplacer.js';
import type { WorkerSpawner } from './WorkerSpawner.js';

const noop = (): void => {};

/**
 * Rolling reloads: replaces every slot's worker, `reloadConcurrency` slots at a time, and queues a
 * reload requested while one runs behind it.
 */
export class RollingReloader {
  readonly #host: SupervisorHost;
  readonly #spawner: WorkerSpawner;
  readonly #replacer: WorkerReplacer;
  #chain: Promise<void> = Promise.resolve();
  #running = 0;
  #completed = 0;

  constructor(host: SupervisorHost, spawner: WorkerSpawner, replacer: WorkerReplacer) {
    this.#host = host;
    this.#spawner = spawner;
    this.#replacer = replacer;
  }

  /** Completed rolling reloads. */
  get completed(): number {
    return this.#completed;
  }

  /** `true` while a reload replaces workers (autoscaling waits for it). */
  get isReloading(): boolean {
    return this.#running > 0;
  }

  /** Runs a reload after the ones already requested; resolves when every old worker exited. */
  reload(): Promise<void> {
    const run = this.#chain.then(() => this.#reload());
    this.#chain = run.catch(noop);
    return run;
  }

  async #reload(): Promise<void> {
    const host = this.#host;
    if (host.state() !== 'running') throw new ClosedError(`ClusterSupervisor is ${host.state()}`);
    const started = performance.now();
    this.#running++;
    try {
      const slots = this.#spawner.liveSlots();
      const retired: Promise<void>[] = [];
      const k = host.options.reloadConcurrency;
      for (let i = 0; i < slots.length; i += k) {
        const batch = slots.slice(i, i + k);
        const results = await Promise.all(batch.map((slot) => this.#replacer.replace(slot, 'reload', false)));
        retired.push(...results.map((r) => r.retired));
      }
      await Promise.all(retired);
      this.#completed++;
      host.events.emit('reload:completed', {
        durationMs: performance.now() - started,
        replaced: slots.length,
      });
    } finally {
      this.#running--;
    }
  }
}
