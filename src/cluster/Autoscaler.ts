import { warnThrew } from '../core/internal/warnThrew.js';
import type { ManagedWorker } from './ManagedWorker.js';
import type { RollingReloader } from './RollingReloader.js';
import type { SupervisorHost } from './SupervisorHost.js';
import type { WorkerSpawner } from './WorkerSpawner.js';

/**
 * Adds or removes one worker per `autoscale.intervalMs`, between `autoscale.min` and
 * `autoscale.max`: toward `autoscale.target()` when given (demand, e.g. a queue's depth), else from
 * the ready workers' mean event-loop utilisation over the interval.
 */
export class Autoscaler {
  readonly #host: SupervisorHost;
  readonly #spawner: WorkerSpawner;
  readonly #reloader: RollingReloader;
  #timer: NodeJS.Timeout | undefined;
  #eluSum = 0;
  #eluCount = 0;
  /** A target() call still pending: the next interval waits for it rather than asking again. */
  #asking = false;

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
    if (!scale || host.state() !== 'running' || this.#reloader.isReloading) return;
    if (scale.target !== undefined) {
      if (!this.#asking) void this.#towardTarget(scale.target);
      return;
    }
    if (this.#eluCount === 0) return;
    const utilization = this.#takeUtilization();
    if (!this.#settled()) return;
    const from = this.#spawner.liveSlots().length;
    if (utilization > scale.scaleUpUtilization && from < scale.max) this.#step(from, from + 1, utilization);
    else if (utilization < scale.scaleDownUtilization && from > scale.min)
      this.#step(from, from - 1, utilization);
  }

  async #towardTarget(target: () => number | PromiseLike<number>): Promise<void> {
    this.#asking = true;
    let wanted: number;
    try {
      wanted = await target();
      if (typeof wanted !== 'number' || !Number.isFinite(wanted))
        throw new TypeError(`not a finite number: ${String(wanted)}`);
    } catch (error) {
      warnThrew('LOADSTONE_WARN_AUTOSCALE_TARGET', 'The autoscale target failed', error);
      return;
    } finally {
      this.#asking = false;
    }
    const scale = this.#host.options.autoscale;
    if (!scale || this.#host.state() !== 'running' || this.#reloader.isReloading || !this.#settled()) return;
    const utilization = this.#takeUtilization();
    const from = this.#spawner.liveSlots().length;
    const to = Math.min(scale.max, Math.max(scale.min, Math.round(wanted)));
    if (to > from) this.#step(from, from + 1, utilization, to);
    else if (to < from) this.#step(from, from - 1, utilization, to);
  }

  /** The mean utilisation since the last decision (0 without samples), and a fresh window. */
  #takeUtilization(): number {
    const utilization = this.#eluCount === 0 ? 0 : this.#eluSum / this.#eluCount;
    this.#eluSum = 0;
    this.#eluCount = 0;
    return utilization;
  }

  /** Whether the previous decision settled: every slot ready, no replacement running. */
  #settled(): boolean {
    return this.#spawner.liveSlots().every((s) => s.current?.state === 'ready' && s.incoming === undefined);
  }

  #step(from: number, to: number, utilization: number, target?: number): void {
    const spawner = this.#spawner;
    if (to > from) {
      spawner.fork(spawner.addSlot(), 'scale');
    } else {
      const slot = spawner.liveSlots().at(-1);
      if (slot === undefined) return;
      spawner.removeSlot(slot);
    }
    this.#host.events.emit('workers:scaled', {
      from,
      to,
      utilization,
      ...(target === undefined ? {} : { target }),
    });
  }
}
