// A fixed M/M/c workload for comparing a pool with the capacity estimate: Poisson arrivals and
// exponential service times from a seed, rescaled so their sample means are exactly the planned
// ones. A 10 s run's sampling noise alone moves the mean queue delay by ±40 % between seeds (40
// seeds simulated); `simulateFifo` lets a test show its seed is a representative draw, so what it
// then measures is the pool against the model, not the luck of the draw.
import { seededRandom } from '../../src/testing/seededRandom.js';

export type Workload = {
  /** Ms from the previous arrival (from the start, for the first). */
  readonly gapsMs: readonly number[];
  /** Ms of service each arrival needs. */
  readonly servicesMs: readonly number[];
};

export function mmcWorkload(
  seed: number,
  count: number,
  arrivalRatePerSec: number,
  serviceTimeMs: number,
): Workload {
  const random = seededRandom(seed);
  const exponential = (mean: number) => -Math.log(1 - random()) * mean;
  const gapsMs = Array.from({ length: count }, () => exponential(1000 / arrivalRatePerSec));
  const servicesMs = Array.from({ length: count }, () => exponential(serviceTimeMs));
  rescale(gapsMs, 1000 / arrivalRatePerSec);
  rescale(servicesMs, serviceTimeMs);
  return { gapsMs, servicesMs };
}

function rescale(values: number[], mean: number): void {
  const factor = mean / (values.reduce((a, b) => a + b, 0) / values.length);
  for (let i = 0; i < values.length; i++) values[i] = (values[i] as number) * factor;
}

/** The mean queue delay of `workload` through `servers` FIFO servers, computed exactly. */
export function simulateFifo(workload: Workload, servers: number): number {
  const freeAt = new Array<number>(servers).fill(0);
  let now = 0;
  let waited = 0;
  for (let i = 0; i < workload.gapsMs.length; i++) {
    now += workload.gapsMs[i] as number;
    let first = 0;
    for (let s = 1; s < servers; s++) if ((freeAt[s] as number) < (freeAt[first] as number)) first = s;
    const start = Math.max(now, freeAt[first] as number);
    freeAt[first] = start + (workload.servicesMs[i] as number);
    waited += start - now;
  }
  return waited / workload.gapsMs.length;
}

/** What a run measured: the rate it offered, mean service, mean queue delay and response. */
export type Measured = {
  readonly arrivalRatePerSec: number;
  readonly serviceTimeMs: number;
  readonly queueDelayMs: number;
  readonly responseMs: number;
};

/**
 * Offers `workload` on its schedule (catching up when a timer fires late, so the rate holds) to
 * `serve`, which resolves with the ms the arrival waited and the ms it was served.
 */
export async function offer(
  workload: Workload,
  serve: (serviceMs: number) => Promise<{ waitedMs: number; servedMs: number }>,
): Promise<Measured> {
  const done: Promise<{ waitedMs: number; servedMs: number; responseMs: number }>[] = [];
  const start = performance.now();
  let due = start;
  let last = start;
  for (let i = 0; i < workload.gapsMs.length; i++) {
    due += workload.gapsMs[i] as number;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    const offeredAt = performance.now();
    last = offeredAt;
    done.push(
      serve(workload.servicesMs[i] as number).then((r) => ({
        ...r,
        responseMs: performance.now() - offeredAt,
      })),
    );
  }
  const results = await Promise.all(done);
  const mean = (pick: (r: (typeof results)[number]) => number) =>
    results.reduce((a, r) => a + pick(r), 0) / results.length;
  return {
    arrivalRatePerSec: (results.length - 1) / ((last - start) / 1000),
    serviceTimeMs: mean((r) => r.servedMs),
    queueDelayMs: mean((r) => r.waitedMs),
    responseMs: mean((r) => r.responseMs),
  };
}
