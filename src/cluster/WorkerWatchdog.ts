import { performance } from 'node:perf_hooks';
import type { ManagedWorker } from './ManagedWorker.js';
import type { SupervisorHost } from './SupervisorHost.js';
import type { WorkerReplacer } from './WorkerReplacer.js';
import type { WorkerSpawner } from './WorkerSpawner.js';

const noop = (): void => {};

/**
 * Replaces unhealthy workers: one over `maxMemoryMb` (checked on each heartbeat) drains once its
 * replacement serves; one whose heartbeats stopped for `heartbeatTimeoutMs` (a blocked event loop,
 * checked every `heartbeatIntervalMs`) is killed once its replacement serves.
 */
export class WorkerWatchdog {
  readonly #host: SupervisorHost;
  readonly #spawner: WorkerSpawner;
  readonly #replacer: WorkerReplacer;
  #timer: NodeJS.Timeout | undefined;

  constructor(host: SupervisorHost, spawner: WorkerSpawner, replacer: WorkerReplacer) {
    this.#host = host;
    this.#spawner = spawner;
    this.#replacer = replacer;
  }

  /** Starts the periodic heartbeat check. */
  start(): void {
    this.#timer = setInterval(() => this.#checkHeartbeats(), this.#host.options.heartbeatIntervalMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  /** Replaces `m` when its latest heartbeat reports memory over the limit. */
  checkMemory(m: ManagedWorker): void {
    const host = this.#host;
    const limit = host.options.maxMemoryMb;
    if (limit <= 0 || !m.sample || m.state !== 'ready' || m.retiring) return;
    const value = host.options.memoryMetric === 'rss' ? m.sample.rss : m.sample.heapUsed;
    if (value <= limit * 1024 * 1024) return;
    if (m.slot.current !== m || m.slot.incoming !== undefined || host.state() !== 'running') return;
    host.events.emit('worker:unhealthy', { slot: m.slot.id, pid: m.pid, reason: 'memory', value });
    this.#replacer.replace(m.slot, 'memory', false).catch(noop);
  }

  #checkHeartbeats(): void {
    const host = this.#host;
    const timeout = host.options.heartbeatTimeoutMs;
    if (timeout <= 0 || host.state() !== 'running') return;
    const t = performance.now();
    for (const m of this.#spawner.managed) {
      if (m.state !== 'ready' || m.retiring || m.slot.current !== m || m.slot.incoming !== undefined)
        continue;
      const age = t - (m.lastHeartbeat ?? m.readyAt ?? t);
      if (age <= timeout) continue;
      host.events.emit('worker:unhealthy', { slot: m.slot.id, pid: m.pid, reason: 'heartbeat', value: age });
      // A blocked worker cannot drain; it is killed as soon as its replacement serves.
      this.#replacer.replace(m.slot, 'heartbeat', true).catch(noop);
    }
  }
}
