import { InvalidOptionError } from '../core/errors/InvalidOptionError.js';
import { checkOptionKeys, numberOption, optionNames, optionsObject } from '../core/internal/validate.js';
import { checkLoad, MAX_SERVERS, mmc, type QueueEstimate } from './estimateQueue.js';

/** Options of {@link planCapacity}. */
export type CapacityPlanOptions = {
  /** Mean arrivals per second at the peak you plan for (λ). A finite number >= 0. */
  readonly arrivalRatePerSec: number;
  /** Mean time one server spends on one arrival, in ms. A finite number > 0. */
  readonly serviceTimeMs: number;
  /**
   * Highest fraction of the time each server may be busy. Headroom for bursts: past about 0.8
   * the queue delay climbs steeply. A number > 0 and < 1.
   * @default 0.7
   */
  readonly targetUtilization?: number;
  /** Also keep the mean queue delay at or below this, in ms. A finite number > 0. */
  readonly maxMeanQueueDelayMs?: number;
  /** Also keep the 99th-percentile queue delay at or below this, in ms. A finite number > 0. */
  readonly maxP99QueueDelayMs?: number;
};

/** The servers {@link planCapacity} chose, with what M/M/c predicts for them. */
export type CapacityPlan = QueueEstimate & {
  /**
   * The fewest servers that keep up at all, ⌈λ·S⌉ (Little's law), at least 1. Below it the
   * queue grows without bound; `servers` adds the headroom the targets ask for.
   */
  readonly minimumServers: number;
};

const OPTIONS = optionNames<CapacityPlanOptions>()([
  'arrivalRatePerSec',
  'serviceTimeMs',
  'targetUtilization',
  'maxMeanQueueDelayMs',
  'maxP99QueueDelayMs',
]);

/**
 * The fewest servers (worker processes, threads, pool connections) for a stream of work: busy at
 * most `targetUtilization` of the time and, when asked, queueing at most the given delays, by
 * Little's law and M/M/c. For CPU-bound servers (workers, threads), more servers than cores add
 * no capacity: a plan above `os.availableParallelism()` asks for more machines.
 *
 * @example
 * {@includeCode ./capacity.test.ts#planCapacity}
 *
 * @param options - the load and the targets.
 * @returns the plan: `servers`, and the queue it predicts for them.
 * @throws an {@link InvalidOptionError} (`ERR_LOADSTONE_INVALID_OPTION`) for a missing, unknown
 * or out-of-range option, and for a load that would need more than 100,000 servers.
 */
export function planCapacity(options: CapacityPlanOptions): CapacityPlan {
  const opts = optionsObject('options', options);
  checkOptionKeys(opts, OPTIONS, 'planCapacity');
  const { arrivalRatePerSec, serviceTimeMs } = checkLoad(opts);
  const target = numberOption('options.targetUtilization', opts.targetUtilization ?? 0.7, 0, 1, true);
  if (target === 1) throw new InvalidOptionError('options.targetUtilization', 'a number > 0 and < 1', target);
  const maxMean = optionalDelay('options.maxMeanQueueDelayMs', opts.maxMeanQueueDelayMs);
  const maxP99 = optionalDelay('options.maxP99QueueDelayMs', opts.maxP99QueueDelayMs);

  const offeredLoad = (arrivalRatePerSec / 1000) * serviceTimeMs;
  const minimumServers = Math.max(1, Math.ceil(offeredLoad));
  // The smallest c with λS / c <= target, then more while a delay target is missed: delays fall
  // monotonically with c, and past c ≈ λS + a few √(λS) Erlang C falls faster than exponentially,
  // so the walk is short.
  let servers = Math.max(minimumServers, Math.ceil(offeredLoad / target - 1e-9));
  for (;;) {
    if (servers > MAX_SERVERS) {
      throw new InvalidOptionError(
        'options.arrivalRatePerSec',
        `a rate ${MAX_SERVERS} servers can serve within the targets`,
        arrivalRatePerSec,
      );
    }
    const estimate = mmc(arrivalRatePerSec, serviceTimeMs, servers);
    const delayMet =
      estimate.stable &&
      (maxMean === undefined || estimate.queueDelayMs.mean <= maxMean) &&
      (maxP99 === undefined || estimate.queueDelayMs.p99 <= maxP99);
    // λ·S carries float noise (280/s × 10 ms is 2.8000000000000003): 4 servers are 70 % busy.
    if (delayMet && estimate.utilization <= target + 1e-9) return { ...estimate, minimumServers };
    servers++;
  }
}

function optionalDelay(path: string, value: unknown): number | undefined {
  return value === undefined ? undefined : numberOption(path, value, 0, Number.POSITIVE_INFINITY, true);
}
