// M/M/c: Poisson arrivals, exponential service times, c identical servers, one FIFO queue. The
// textbook model of a pool (threads, connections, worker processes) in front of a request stream,
// and the one whose delay has a closed form (Erlang C). Real service times vary less than an
// exponential's, so it errs on the safe side: it overestimates the wait of steadier work.
import type { InvalidOptionError } from '../core/errors/InvalidOptionError.js';
import {
  checkOptionKeys,
  integerOption,
  numberOption,
  optionNames,
  optionsObject,
} from '../core/internal/validate.js';

/** Options of {@link estimateQueue}. */
export type QueueModelOptions = {
  /** Mean arrivals per second (λ). A finite number >= 0. */
  readonly arrivalRatePerSec: number;
  /** Mean time one server spends on one arrival, in ms (S = 1/μ). A finite number > 0. */
  readonly serviceTimeMs: number;
  /** Servers: threads, connections or worker processes (c). An integer >= 1. */
  readonly servers: number;
};

/** What M/M/c predicts for a stream of work in front of `servers` servers. */
export type QueueEstimate = {
  /** The servers the estimate is for. */
  readonly servers: number;
  /** Offered load in Erlangs, λ·S: the servers busy on average (Little's law). */
  readonly offeredLoad: number;
  /** Fraction of the time each server is busy, λ·S / c. At 1 or more the queue grows forever. */
  readonly utilization: number;
  /** Whether the queue settles (utilization < 1). When not, every delay below is `Infinity`. */
  readonly stable: boolean;
  /** Probability that an arrival waits for a server at all (Erlang C). */
  readonly waitProbability: number;
  /** Time waiting for a server, in ms: the mean and percentiles over all arrivals. */
  readonly queueDelayMs: {
    /** Mean over all arrivals, those that do not wait counted as 0. */
    readonly mean: number;
    /** Median: 0 while fewer than half the arrivals wait. */
    readonly p50: number;
    /** 95th percentile. */
    readonly p95: number;
    /** 99th percentile. */
    readonly p99: number;
  };
  /** Mean time from arrival to done (queue delay + service), in ms. */
  readonly meanResponseMs: number;
  /** Mean arrivals waiting for a server (Little's law on the queue). */
  readonly meanQueued: number;
  /** Mean arrivals in the system, waiting or served (Little's law). */
  readonly meanInSystem: number;
};

const OPTIONS = optionNames<QueueModelOptions>()(['arrivalRatePerSec', 'serviceTimeMs', 'servers']);

/**
 * Predicts the queueing delay of work arriving at `arrivalRatePerSec`, each piece taking
 * `serviceTimeMs` of one of `servers` servers (M/M/c, Erlang C). Use it to see what a pool size
 * costs in waiting; {@link planCapacity} finds the size for a target.
 *
 * @example
 * {@includeCode ./capacity.test.ts#estimateQueue}
 *
 * @param options - λ, S and c.
 * @returns the estimate; delays are `Infinity` when the servers cannot keep up.
 * @throws an {@link InvalidOptionError} (`ERR_LOADSTONE_INVALID_OPTION`) for a missing, unknown
 * or out-of-range option.
 */
export function estimateQueue(options: QueueModelOptions): QueueEstimate {
  const opts = optionsObject('options', options);
  checkOptionKeys(opts, OPTIONS, 'estimateQueue');
  const { arrivalRatePerSec, serviceTimeMs } = checkLoad(opts);
  const servers = integerOption('options.servers', opts.servers, 1, MAX_SERVERS);
  return mmc(arrivalRatePerSec, serviceTimeMs, servers);
}

/** The load both helpers take: λ >= 0 and S > 0. @internal */
export function checkLoad(opts: { arrivalRatePerSec?: unknown; serviceTimeMs?: unknown }): {
  arrivalRatePerSec: number;
  serviceTimeMs: number;
} {
  return {
    arrivalRatePerSec: numberOption('options.arrivalRatePerSec', opts.arrivalRatePerSec, 0),
    serviceTimeMs: numberOption(
      'options.serviceTimeMs',
      opts.serviceTimeMs,
      0,
      Number.POSITIVE_INFINITY,
      true,
    ),
  };
}

/** Most servers an estimate or plan considers. */
export const MAX_SERVERS = 100_000;

/** The M/M/c figures, inputs already checked. */
export function mmc(arrivalRatePerSec: number, serviceTimeMs: number, servers: number): QueueEstimate {
  const lambdaPerMs = arrivalRatePerSec / 1000;
  const offeredLoad = lambdaPerMs * serviceTimeMs;
  const utilization = offeredLoad / servers;
  const stable = utilization < 1;
  const waitProbability = stable ? erlangC(servers, offeredLoad) : 1;
  // Waiting times are exponential past the first 1 − C arrivals, which do not wait:
  // P(Wq > t) = C · e^(−(cμ − λ)t).
  const drainPerMs = servers / serviceTimeMs - lambdaPerMs;
  const quantile = (p: number): number => {
    if (!stable) return Number.POSITIVE_INFINITY;
    return waitProbability <= 1 - p ? 0 : Math.log(waitProbability / (1 - p)) / drainPerMs;
  };
  const meanQueueDelay = stable ? waitProbability / drainPerMs : Number.POSITIVE_INFINITY;
  return {
    servers,
    offeredLoad,
    utilization,
    stable,
    waitProbability,
    queueDelayMs: { mean: meanQueueDelay, p50: quantile(0.5), p95: quantile(0.95), p99: quantile(0.99) },
    meanResponseMs: meanQueueDelay + serviceTimeMs,
    meanQueued: stable ? lambdaPerMs * meanQueueDelay : Number.POSITIVE_INFINITY,
    meanInSystem: stable ? lambdaPerMs * (meanQueueDelay + serviceTimeMs) : Number.POSITIVE_INFINITY,
  };
}

/**
 * Erlang C: the probability an arrival waits, for `servers` servers and `load` Erlangs (< servers).
 * Computed from Erlang B by its recurrence, B(k) = A·B(k−1) / (k + A·B(k−1)), which stays within
 * [0, 1] for any c, where the textbook sum of A^k / k! overflows past c ≈ 170.
 */
function erlangC(servers: number, load: number): number {
  if (load === 0) return 0;
  let b = 1;
  for (let k = 1; k <= servers; k++) b = (load * b) / (k + load * b);
  return (servers * b) / (servers - load * (1 - b));
}
