import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectInvalidOption } from '../../test/helpers/expectInvalidOption.js';
import { estimateQueue } from './estimateQueue.js';
import { planCapacity } from './planCapacity.js';

describe('estimateQueue', () => {
  it('predicts the delay of a pool size', () => {
    // #region estimateQueue
    // 300 queries/s of 10 ms each, on a pool of 4 connections: how long does a query wait?
    const queue = estimateQueue({ arrivalRatePerSec: 300, serviceTimeMs: 10, servers: 4 });
    // queue.utilization === 0.75; queue.waitProbability ≈ 0.51 (half the queries wait)
    // queue.queueDelayMs.mean ≈ 5.1 ms, p99 ≈ 30 ms
    // #endregion estimateQueue
    expect(queue.utilization).toBe(0.75);
    expect(queue.waitProbability).toBeCloseTo(0.5094, 4);
    expect(queue.queueDelayMs.mean).toBeCloseTo(5.094, 3);
    expect(queue.queueDelayMs.p99).toBeCloseTo(Math.log(0.5094 / 0.01) / 0.1, 1);
  });

  it('is M/M/1 for one server: Wq = ρ / (μ − λ), P(wait) = ρ', () => {
    const q = estimateQueue({ arrivalRatePerSec: 80, serviceTimeMs: 10, servers: 1 });
    expect(q.waitProbability).toBeCloseTo(0.8, 12);
    expect(q.queueDelayMs.mean).toBeCloseTo(0.8 / (0.1 - 0.08), 9); // 40 ms
    expect(q.meanResponseMs).toBeCloseTo(50, 9);
    expect(q.meanInSystem).toBeCloseTo(0.8 / 0.2, 9); // ρ / (1 − ρ)
    // Exponential wait past the 20 % that do not wait: the median waiter is at ln(0.8/0.5)/(μ − λ).
    expect(q.queueDelayMs.p50).toBeCloseTo(Math.log(1.6) / 0.02, 9);
  });

  it('matches published Erlang C values', () => {
    // Standard call-centre tables: A = 2 Erlangs on 3 agents waits with P = 4/9; A = 8 on 10, 0.409.
    expect(
      estimateQueue({ arrivalRatePerSec: 2, serviceTimeMs: 1000, servers: 3 }).waitProbability,
    ).toBeCloseTo(4 / 9, 12);
    expect(
      estimateQueue({ arrivalRatePerSec: 8, serviceTimeMs: 1000, servers: 10 }).waitProbability,
    ).toBeCloseTo(0.4092, 4);
  });

  it('stays finite for thousands of servers, where A^c / c! overflows', () => {
    const q = estimateQueue({ arrivalRatePerSec: 9_000, serviceTimeMs: 1000, servers: 9_100 });
    expect(q.waitProbability).toBeGreaterThan(0);
    expect(q.waitProbability).toBeLessThan(1);
    expect(Number.isFinite(q.queueDelayMs.p99)).toBe(true);
  });

  it('reports a queue that cannot settle as unstable with infinite delays', () => {
    const q = estimateQueue({ arrivalRatePerSec: 500, serviceTimeMs: 10, servers: 5 });
    expect(q).toMatchObject({ stable: false, utilization: 1, waitProbability: 1 });
    expect(q.queueDelayMs.p50).toBe(Number.POSITIVE_INFINITY);
    expect(q.meanInSystem).toBe(Number.POSITIVE_INFINITY);
  });

  it('no arrivals: nothing waits', () => {
    const q = estimateQueue({ arrivalRatePerSec: 0, serviceTimeMs: 10, servers: 2 });
    expect(q).toMatchObject({ waitProbability: 0, utilization: 0, meanResponseMs: 10, meanInSystem: 0 });
  });

  it('property: Little holds and more servers never wait longer', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.1, max: 5_000, noNaN: true }),
        fc.double({ min: 0.1, max: 1_000, noNaN: true }),
        fc.integer({ min: 1, max: 500 }),
        (rate, serviceTimeMs, servers) => {
          const a = estimateQueue({ arrivalRatePerSec: rate, serviceTimeMs, servers });
          const b = estimateQueue({ arrivalRatePerSec: rate, serviceTimeMs, servers: servers + 1 });
          if (!a.stable) return;
          expect(a.meanQueued).toBeCloseTo((rate / 1000) * a.queueDelayMs.mean, 6);
          expect(a.queueDelayMs.p50).toBeLessThanOrEqual(a.queueDelayMs.p95);
          expect(a.queueDelayMs.p95).toBeLessThanOrEqual(a.queueDelayMs.p99);
          expect(b.waitProbability).toBeLessThanOrEqual(a.waitProbability + 1e-12);
          expect(b.queueDelayMs.mean).toBeLessThanOrEqual(a.queueDelayMs.mean + 1e-9);
        },
      ),
    );
  });

  it('rejects bad input with a coded error naming the option, at the call', () => {
    const ok = { arrivalRatePerSec: 10, serviceTimeMs: 10, servers: 1 };
    for (const [bad, option, expected] of [
      [{ ...ok, arrivalRatePerSec: -1 }, 'options.arrivalRatePerSec', 'a finite number >= 0'],
      [{ ...ok, arrivalRatePerSec: Number.NaN }, 'options.arrivalRatePerSec', 'a finite number'],
      [{ ...ok, serviceTimeMs: 0 }, 'options.serviceTimeMs', 'a finite number > 0'],
      [{ ...ok, servers: 1.5 }, 'options.servers', 'an integer'],
      [{ ...ok, servers: 0 }, 'options.servers', 'an integer'],
      [{ ...ok, sevrers: 2 }, 'options.sevrers', 'absent: it is not an option of estimateQueue'],
      [undefined, 'options.arrivalRatePerSec', 'a finite number'],
      ['nope', 'options', 'an object'],
    ] as const) {
      expectInvalidOption(() => estimateQueue(bad as never), option, expected);
    }
  });

  it('p50 is 0 while fewer than half the arrivals wait, and positive once more do', () => {
    const light = estimateQueue({ arrivalRatePerSec: 50, serviceTimeMs: 10, servers: 1 }); // 50 % wait
    expect(light.waitProbability).toBeCloseTo(0.5, 12);
    expect(light.queueDelayMs.p50).toBe(0);
    expect(light.queueDelayMs.p95).toBeGreaterThan(0);
    const busier = estimateQueue({ arrivalRatePerSec: 51, serviceTimeMs: 10, servers: 1 });
    expect(busier.queueDelayMs.p50).toBeGreaterThan(0);
  });
});

describe('planCapacity', () => {
  it('sizes a pool for a load and a delay target', () => {
    // #region planCapacity
    // Peak: 1,200 requests/s, each holding a database connection for 8 ms. Connections busy at
    // most 70 % of the time, and a p99 wait for one of at most 5 ms.
    const plan = planCapacity({ arrivalRatePerSec: 1_200, serviceTimeMs: 8, maxP99QueueDelayMs: 5 });
    // plan.minimumServers === 10 (Little: 1,200/s × 8 ms = 9.6 busy on average)
    // plan.servers === 14: the pool's `max`; plan.queueDelayMs.p99 ≤ 5 ms
    // #endregion planCapacity
    expect(plan.minimumServers).toBe(10);
    expect(plan.servers).toBe(14);
    expect(plan.utilization).toBeLessThanOrEqual(0.7);
    expect(plan.queueDelayMs.p99).toBeLessThanOrEqual(5);
    const fewer = estimateQueue({ arrivalRatePerSec: 1_200, serviceTimeMs: 8, servers: 13 });
    expect(fewer.utilization > 0.7 || fewer.queueDelayMs.p99 > 5).toBe(true);
  });

  it('property: the plan meets every target and one server fewer misses one', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 20_000, noNaN: true }),
        fc.double({ min: 0.5, max: 200, noNaN: true }),
        fc.double({ min: 0.3, max: 0.95, noNaN: true }),
        fc.option(fc.double({ min: 0.1, max: 100, noNaN: true }), { nil: undefined }),
        fc.option(fc.double({ min: 0.1, max: 100, noNaN: true }), { nil: undefined }),
        (rate, serviceTimeMs, targetUtilization, maxMeanQueueDelayMs, maxP99QueueDelayMs) => {
          const plan = planCapacity({
            arrivalRatePerSec: rate,
            serviceTimeMs,
            targetUtilization,
            ...(maxMeanQueueDelayMs === undefined ? {} : { maxMeanQueueDelayMs }),
            ...(maxP99QueueDelayMs === undefined ? {} : { maxP99QueueDelayMs }),
          });
          const meets = (q: ReturnType<typeof estimateQueue>) =>
            q.stable &&
            q.utilization <= targetUtilization &&
            (maxMeanQueueDelayMs === undefined || q.queueDelayMs.mean <= maxMeanQueueDelayMs) &&
            (maxP99QueueDelayMs === undefined || q.queueDelayMs.p99 <= maxP99QueueDelayMs);
          expect(meets(plan)).toBe(true);
          expect(plan.servers).toBeGreaterThanOrEqual(plan.minimumServers);
          if (plan.servers > 1) {
            const fewer = estimateQueue({
              arrivalRatePerSec: rate,
              serviceTimeMs,
              servers: plan.servers - 1,
            });
            expect(meets(fewer)).toBe(false);
          }
        },
      ),
    );
  });

  it('rejects bad input with a coded error naming the option, at the call', () => {
    const ok = { arrivalRatePerSec: 10, serviceTimeMs: 10 };
    for (const [bad, option, expected] of [
      [{ ...ok, targetUtilization: 1 }, 'options.targetUtilization', 'a number > 0 and < 1'],
      [{ ...ok, targetUtilization: 0 }, 'options.targetUtilization', 'a finite number > 0'],
      [{ ...ok, maxMeanQueueDelayMs: 0 }, 'options.maxMeanQueueDelayMs', 'a finite number > 0'],
      [{ ...ok, maxP99QueueDelayMs: -1 }, 'options.maxP99QueueDelayMs', 'a finite number > 0'],
      [{ ...ok, servers: 3 }, 'options.servers', 'absent: it is not an option of planCapacity'],
      [
        { ...ok, arrivalRatePerSec: Number.POSITIVE_INFINITY },
        'options.arrivalRatePerSec',
        'a finite number',
      ],
      [{ ...ok, serviceTimeMs: -5 }, 'options.serviceTimeMs', 'a finite number > 0'],
      // 1e6 Erlangs: past 100,000 servers.
      [
        { arrivalRatePerSec: 1e9, serviceTimeMs: 1_000 },
        'options.arrivalRatePerSec',
        'a rate 100000 servers',
      ],
    ] as const) {
      expectInvalidOption(() => planCapacity(bad as never), option, expected);
    }
  });

  it('meets a target exactly on its boundary', () => {
    // 280/s × 10 ms = 2.8 busy: 4 servers are exactly 70 % busy (λ·S carries float noise).
    expect(planCapacity({ arrivalRatePerSec: 280, serviceTimeMs: 10 }).servers).toBe(4);
    // A delay target equal to what 5 servers give is met by 5, not 6.
    const five = estimateQueue({ arrivalRatePerSec: 280, serviceTimeMs: 10, servers: 5 });
    const byMean = planCapacity({
      arrivalRatePerSec: 280,
      serviceTimeMs: 10,
      maxMeanQueueDelayMs: five.queueDelayMs.mean,
    });
    expect(byMean.servers).toBe(5);
    const byP99 = planCapacity({
      arrivalRatePerSec: 280,
      serviceTimeMs: 10,
      maxP99QueueDelayMs: five.queueDelayMs.p99,
    });
    expect(byP99.servers).toBe(5);
  });
});
