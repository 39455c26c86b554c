// A stand-in for the flaky dependency every job needs (a scoring or geo-lookup API). It fails a
// share of calls at random (seeded, so runs are repeatable) and has a full outage for `outageMs`
// at the end of every `outageEveryMs`: the outages are what make the circuit breaker open.
import { setTimeout as delay } from 'node:timers/promises';
import type { Job } from 'loadstone/jobs';
import { seededRandom } from 'loadstone/testing';
import type { JobData } from './jobs.js';

export type EnrichmentOptions = {
  /** Share of calls that fail outside outages, from 0 to 1. */
  readonly failureRate: number;
  /** Length of one outage cycle, in ms (`0`: never down). */
  readonly outageEveryMs: number;
  /** How long the service is down at the end of each cycle, in ms. */
  readonly outageMs: number;
  /** Seed of the failure and latency draws. */
  readonly seed: number;
};

export class FlakyEnrichmentService {
  readonly #options: EnrichmentOptions;
  readonly #random: () => number;
  readonly #startedAt = performance.now();

  constructor(options: EnrichmentOptions) {
    this.#options = options;
    this.#random = seededRandom(options.seed);
  }

  /** Scores a job in 2–10 ms, or rejects. Honours `signal` (the breaker's timeout aborts it). */
  async enrich(job: Job<JobData>, signal: AbortSignal): Promise<number> {
    await delay(2 + this.#random() * 8, undefined, { signal });
    if (this.#inOutage()) throw new Error('enrichment service unavailable (outage)');
    if (this.#random() < this.#options.failureRate) throw new Error('enrichment service answered 503');
    return job.data.payload.length + Math.round(this.#random() * 100);
  }

  #inOutage(): boolean {
    const { outageEveryMs, outageMs } = this.#options;
    if (outageEveryMs <= 0 || outageMs <= 0) return false;
    const elapsed = (performance.now() - this.#startedAt) % outageEveryMs;
    return elapsed >= outageEveryMs - outageMs;
  }
}
