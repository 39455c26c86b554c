import type { ManagedWorker } from './ManagedWorker.js';
import type { RollingReloader } from './RollingReloader.js';
import type { SupervisorHost } from './SupervisorHost.js';
import type { WorkerSpawner } from './WorkerSpawner.js';

/**
 * Adds or removes one worker per `autoscale.intervalMs` from the ready workers' mean event-loop
 * utilisation over the interval, between `autoscale.min` and `autoscale.max`.
 */
export class Autoscaler {
  readonly #host: SupervisorHost;
  readonly #spawner: WorkerSpawner;
  readonly #reloader: RollingReloader;
  #timer: NodeJS.Timeout | undefined;
  #eluSum = 0;
  #eluCount = 0;

  constructor(host: SupervisorHost, spawner: WorkerSpawner, reloader: RollingReloader) {
    this.#host = host;
    this.#spawner = spawner;
    this.#reloader = reloader;
  }

  /** Starts deciding every `autoscale.intervalMs`, when autoscaling is configured. */
  start(): void {
    const scale = this.#host.options.autoscale;
    if (!scale) return;
    this.#timer = setInterval(() => this.#autoscale(), scale.intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  /** Counts `m`'s latest heartbeat utilisation, when it serves. */
  sample(m: ManagedWorker): void {
    if (m.sample && m.state === 'ready' && !m.retiring) {
      this.#eluSum += m.sample.elu;
      this.#eluCount++;
    }
  }

  #autoscale(): void {
    const host = this.#host;
    const scale = host.options.autoscale;
    if (!scale || host.state() !== 'running' || this.#reloader.isReloading || this.#eluCount === 0) return;
    const utilization = this.#eluSum / this.#eluCount;
    this.#eluSum = 0;
    this.#eluCount = 0;
    const spawner = this.#spawner;
    const live = spawner.liveSlots();
    // Wait until the previous decision settled (every slot ready, no replacement running).
    if (live.some((s) => s.current?.state !== 'ready' || s.incoming !== undefined)) return;
    const from = live.length;
    if (utilization > scale.scaleUpUtilization && from < scale.max) {
      spawner.fork(spawner.addSlot(), 'scale');
      host.events.emit('workers:scaled', { from, to: from + 1, utilization });
    } else if (utilization < scale.scaleDownUtilization && from > scale.min) {
      const slot = live[live.length - 1];
      if (!slot) return;
      spawner.removeSlot(slot);
      host.events.emit('workers:scaled', { from, to: from - 1, utilization });
    }
  }
}
