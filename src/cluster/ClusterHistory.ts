import type { EventEmitter } from 'node:events';
import { MetricsHistory } from '../health/index.js';
import type { WorkerStats } from './ClusterStats.js';
import type { ClusterSupervisorEvents } from './events.js';

/** The per-worker figures kept as series `<slot>.<figure>`: what the status page draws. */
export const WORKER_SERIES = [
  'rssBytes',
  'heapUsedBytes',
  'eventLoopDelayP99Ms',
  'eventLoopUtilization',
  'requestsInFlight',
  'requestsPerSecond',
  'connections',
] as const;

/** A worker's figure for its series: every one is a `WorkerStats` field but the request rate. */
type WorkerFigure = (typeof WORKER_SERIES)[number];

/**
 * The primary's history of the cluster: each slot's figures from its workers' heartbeats
 * (`w0.rssBytes`…; a replacement carries its slot's line on, after a gap), the cluster-wide
 * figures sampled every heartbeat interval (`cluster.rssBytes`, summed or, for delay and
 * utilisation, the worst and the mean), and marks for restarts, exits and reloads.
 */
export class ClusterHistory {
  readonly history: MetricsHistory;
  /** The last heartbeat's request count and time of each slot's worker, for its rate. */
  readonly #lastRequests = new Map<string, { pid: number; requests: number; at: number }>();
  readonly #rates = new Map<string, number>();

  /**
   * @param options - the sampling interval (the heartbeat's) and the samples kept per series.
   * @param workers - the live workers' figures, for the cluster-wide series.
   * @param events - the supervisor's events: starts, crashes and reloads become marks.
   */
  constructor(
    options: { intervalMs: number; capacity: number },
    workers: () => readonly WorkerStats[],
    events: EventEmitter<ClusterSupervisorEvents>,
  ) {
    this.history = new MetricsHistory({ ...options, maxSeries: 16 + WORKER_SERIES.length * 256 });
    this.history.track('cluster', { stats: () => this.#aggregate(workers()) });
    events.on('worker:started', ({ slot, reason }) => this.#started(slot, reason));
    events.on('worker:exited', ({ slot, expected }) => {
      if (!expected) this.#crashed(slot);
    });
    events.on('reload:completed', ({ durationMs }) =>
      this.reload(`done in ${(durationMs / 1_000).toFixed(1)} s`),
    );
    events.on('crashloop:detected', ({ cause }) => this.#mark('crash-loop', cause.slot));
  }

  /** A worker's heartbeat: its slot's series get its figures. A draining worker's are left out. */
  heartbeat(worker: WorkerStats): void {
    if (worker.state === 'draining') return;
    const now = Date.now();
    const last = this.#lastRequests.get(worker.slot);
    let rate = 0;
    if (last !== undefined && last.pid === worker.pid && now > last.at) {
      rate = (Math.max(0, worker.requestsTotal - last.requests) * 1_000) / (now - last.at);
    }
    this.#lastRequests.set(worker.slot, { pid: worker.pid, requests: worker.requestsTotal, at: now });
    this.#rates.set(worker.slot, rate);
    for (const figure of WORKER_SERIES)
      this.#record(worker.slot, figure, figureOf(worker, figure, rate), now);
  }

  /** A rolling reload began (`label` 'started') or ended. */
  reload(label: string): void {
    this.#mark('reload', label);
  }

  close(): Promise<void> {
    return this.history.close();
  }

  /** A worker started: a mark unless it is one of the first. */
  #started(slot: string, reason: string): void {
    if (reason !== 'initial') this.#mark(reason === 'crash' ? 'restart' : reason, slot);
  }

  /** A worker exited unexpectedly: a gap in its slot's lines and an `exit` mark. */
  #crashed(slot: string): void {
    const now = Date.now();
    for (const figure of WORKER_SERIES) this.#record(slot, figure, Number.NaN, now);
    this.#lastRequests.delete(slot);
    this.#rates.delete(slot);
    this.#mark('exit', slot);
  }

  /** Marks are dropped once the history is closed (the supervisor stopping). */
  #mark(kind: string, label: string): void {
    if (!this.history.closed) this.history.mark(kind, label);
  }

  #record(slot: string, figure: WorkerFigure, value: number, now: number): void {
    if (this.history.closed) return;
    try {
      this.history.record(`${slot}.${figure}`, value, now);
    } catch {
      // Past maxSeries (over 256 slots): counted in the history's seriesRefusedTotal.
    }
  }

  #aggregate(workers: readonly WorkerStats[]) {
    const serving = workers.filter((w) => w.state !== 'draining' && w.lastHeartbeatAgeMs >= 0);
    let requestsPerSecond = 0;
    for (const w of serving) requestsPerSecond += this.#rates.get(w.slot) ?? 0;
    const sum = (figure: (w: WorkerStats) => number) => serving.reduce((total, w) => total + figure(w), 0);
    return {
      workers: workers.length,
      rssBytes: sum((w) => w.rssBytes),
      heapUsedBytes: sum((w) => w.heapUsedBytes),
      eventLoopDelayP99Ms: Math.max(0, ...serving.map((w) => w.eventLoopDelayP99Ms)),
      eventLoopUtilization: serving.length === 0 ? 0 : sum((w) => w.eventLoopUtilization) / serving.length,
      requestsInFlight: sum((w) => w.requestsInFlight),
      requestsPerSecond,
      connections: sum((w) => w.connections),
    };
  }
}

function figureOf(worker: WorkerStats, figure: WorkerFigure, rate: number): number {
  return figure === 'requestsPerSecond' ? rate : worker[figure];
}
