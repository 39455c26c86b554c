// A PriorityTaskQueue's load shedding (internal): the load last reported by its LoadSignal and
// what that load means for a task of a given rank.
import type { HealthStatus } from '../core/HealthCheck.js';
import type { ResolvedPriorityTaskQueueOptions } from './resolvePriorityTaskQueueOptions.js';

export class LoadShedding {
  /** The load last reported (`healthy` without a load signal). */
  status: HealthStatus = 'healthy';
  /** Tasks ranked below this are shed while the load is critical. */
  readonly #shedRank: number;
  /** Shed tasks are refused at `add` (`reject`), rather than queued and held back (`defer`). */
  readonly #rejects: boolean;
  readonly #degradedConcurrency: number | undefined;

  constructor(o: ResolvedPriorityTaskQueueOptions) {
    this.#shedRank = o.shedRank;
    this.#rejects = o.shedAction === 'reject';
    this.#degradedConcurrency = o.degradedConcurrency;
  }

  /** Whether `add` refuses a task of this rank now (with ShedError). */
  refuses(rank: number): boolean {
    return this.status === 'critical' && rank < this.#shedRank && this.#rejects;
  }

  /** Whether a queued task of this rank must wait for the load to drop. */
  holdsBack(rank: number): boolean {
    return this.status === 'critical' && rank < this.#shedRank;
  }

  /** The concurrency that applies under the current load, given the configured one. */
  concurrency(base: number): number {
    return this.status === 'healthy' ? base : (this.#degradedConcurrency ?? base);
  }
}
