// Active health checks beyond their examples: defaults, thresholds counted in a row, what a
// check's signal sees on timeout and on destroy, odd results, and the timers left behind.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { HealthCheck, HealthCheckResult } from '../core/index.js';
import { LoadBalancer } from './LoadBalancer.js';
import type { ActiveHealthCheckOptions } from './LoadBalancerOptions.js';

type Verdict = HealthCheckResult | 'reject' | 'hang' | 'ignore-signal' | Error | string | undefined;

/** A balancer over `a` whose check answers from `verdicts` in turn (the last one repeats). */
function setup(verdicts: Verdict[], options: Omit<ActiveHealthCheckOptions<string>, 'check'> = {}) {
  const signals: AbortSignal[] = [];
  let calls = 0;
  const check: HealthCheck = {
    name: 'a',
    check: (signal) => {
      signals.push(signal as AbortSignal);
      const verdict = verdicts[Math.min(calls++, verdicts.length - 1)];
      if (verdict === 'hang')
        return new Promise((_, reject) => signal?.addEventListener('abort', () => reject(signal.reason)));
      if (verdict === 'ignore-signal') return new Promise(() => {});
      if (verdict instanceof Error || typeof verdict === 'string') return Promise.reject(verdict);
      return Promise.resolve(verdict as HealthCheckResult);
    },
  };
  const lb = new LoadBalancer({
    backends: [{ id: 'a', target: 'a' }],
    healthCheck: { check: () => check, ...options },
  });
  const events: string[] = [];
  lb.on('backend:down', (e) => events.push(`down ${e.reason}${'message' in e ? ` ${e.message}` : ''}`));
  lb.on('backend:up', (e) => events.push(`up ${e.reason}`));
  return { lb, events, signals, calls: () => calls };
}

const ok: HealthCheckResult = { status: 'healthy' };
const bad: HealthCheckResult = { status: 'critical', message: 'disk full' };

describe('active health checks', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('check at once, then every 10 s, and take 2 failures in a row to go down, 2 passes to come back', async () => {
    const { lb, events, calls } = setup([bad, bad, ok, ok]);
    await vi.advanceTimersByTimeAsync(0);
    expect([calls(), lb.stateOf('a')]).toEqual([1, 'up']);
    await vi.advanceTimersByTimeAsync(9_999);
    expect(calls()).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect([calls(), lb.stateOf('a')]).toEqual([2, 'down']);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(lb.stateOf('a')).toBe('down');
    await vi.advanceTimersByTimeAsync(10_000);
    expect(lb.stateOf('a')).toBe('up');
    expect(events).toEqual(['down health-check disk full', 'up health-check']);
    await lb.destroy();
  });

  it('count failures and passes in a row: one of the other starts the count again', async () => {
    const { lb } = setup([bad, ok, bad, ok, bad, bad, ok, bad, ok, bad, ok], { intervalMs: 100 });
    const states: string[] = [];
    for (let i = 0; i < 11; i++) {
      await vi.advanceTimersByTimeAsync(i === 0 ? 0 : 100);
      states.push(lb.stateOf('a'));
    }
    expect(states.join(' ')).toBe('up up up up up down down down down down down');
    await lb.destroy();
  });

  it('time a check out after 5 s by default, aborting its signal with the TimeoutError', async () => {
    const { lb, events, signals } = setup(['ignore-signal'], { unhealthyThreshold: 1 });
    await vi.advanceTimersByTimeAsync(4_999);
    expect(lb.stateOf('a')).toBe('up');
    await vi.advanceTimersByTimeAsync(1);
    expect(lb.stateOf('a')).toBe('down');
    expect(signals[0]?.reason).toMatchObject({ code: 'ERR_LOADSTONE_TIMEOUT' });
    expect(events).toEqual(['down health-check health check timed out after 5000 ms']);
    await lb.close();
  });

  it('wait for a round that outlasts the interval before starting the next', async () => {
    const { lb, calls } = setup(['ignore-signal'], { intervalMs: 100, timeoutMs: 250 });
    await vi.advanceTimersByTimeAsync(249);
    expect(calls()).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls()).toBe(2);
    const destroyed = lb.destroy(); // waits for the running check, which ignores its signal, to time out
    await vi.advanceTimersByTimeAsync(250);
    await destroyed;
  });

  it('count a rejection with anything as a failure with that message, and a missing result as a failure', async () => {
    const { lb, events } = setup(['ECONNRESET', undefined, ok, undefined], {
      unhealthyThreshold: 1,
      healthyThreshold: 1,
      intervalMs: 100,
    });
    await vi.advanceTimersByTimeAsync(0);
    expect(lb.stateOf('a')).toBe('down');
    await vi.advanceTimersByTimeAsync(200);
    expect(lb.stateOf('a')).toBe('up');
    await vi.advanceTimersByTimeAsync(100);
    expect(lb.stateOf('a')).toBe('down');
    await lb.destroy();
    expect(events).toStrictEqual(['down health-check ECONNRESET', 'up health-check', 'down health-check']);
  });

  it('leave the message out of the event when the check gives none', async () => {
    const { lb } = setup([{ status: 'critical' }], { unhealthyThreshold: 1 });
    const downs: unknown[] = [];
    lb.on('backend:down', (e) => downs.push(e));
    await vi.advanceTimersByTimeAsync(0);
    expect(downs).toStrictEqual([{ id: 'a', reason: 'health-check' }]);
    await lb.destroy();
  });

  it('keep only the interval timer between rounds', async () => {
    const { lb } = setup([ok], { intervalMs: 100 });
    await vi.advanceTimersByTimeAsync(250);
    expect(vi.getTimerCount()).toBe(1);
    await lb.close();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('stop on destroy: the running check is aborted and its result ignored, no round follows', async () => {
    const { lb, events, signals, calls } = setup(['hang'], {
      intervalMs: 100,
      timeoutMs: 1_000,
      unhealthyThreshold: 1,
    });
    await vi.advanceTimersByTimeAsync(150); // the first round outlasts the interval
    await lb.destroy('bye');
    expect(signals[0]?.aborted).toBe(true);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(calls()).toBe(1);
    expect(events).toEqual([]);
    expect(lb.stateOf('a')).toBe('up');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('make close({ signal }) reject only once the running check has settled', async () => {
    const { lb } = setup(['ignore-signal'], { timeoutMs: 1_000 });
    const lease = lb.acquire();
    const controller = new AbortController();
    let outcome = 'pending';
    void lb.close({ signal: controller.signal }).catch((e: unknown) => (outcome = (e as Error).message));
    controller.abort(new Error('hurry'));
    await vi.advanceTimersByTimeAsync(999);
    expect(outcome).toBe('pending');
    await vi.advanceTimersByTimeAsync(1);
    expect(outcome).toBe('hurry');
    lease.release();
  });

  it('do not warn of a listener leak however many checks run', async () => {
    const warn = vi.spyOn(process, 'emitWarning');
    try {
      const { lb, calls } = setup([ok], { intervalMs: 10 });
      await vi.advanceTimersByTimeAsync(200);
      expect(calls()).toBeGreaterThan(15);
      await lb.destroy();
      expect(warn).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
    }
  });
  it('ignore the late result of a removed backend, even once its id is added again', async () => {
    let fail: (result: HealthCheckResult) => void = () => {};
    let calls = 0;
    const lb = new LoadBalancer({
      backends: [{ id: 'a', target: 'a' }],
      healthCheck: {
        check: () => ({
          name: 'a',
          check: () =>
            calls++ === 0
              ? new Promise<HealthCheckResult>((resolve) => (fail = resolve))
              : Promise.resolve(ok),
        }),
        unhealthyThreshold: 1,
      },
    });
    const events: string[] = [];
    lb.on('backend:down', (e) => events.push(`down ${e.id}`));
    lb.remove('a');
    lb.add({ id: 'a', target: 'a' });
    fail(bad);
    await vi.advanceTimersByTimeAsync(0);
    expect(lb.stateOf('a')).toBe('up');
    expect(events).toEqual([]);
    await lb.destroy();
  });
});

describe('active health check timers', () => {
  it('do not keep the process alive, between rounds or during a check', async () => {
    const refTimers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = refTimers();
    const { lb, signals } = setup(['hang']);
    expect(signals).toHaveLength(1); // a check is running, with its timeout timer
    expect(refTimers()).toBe(before);
    await lb.destroy();
  });
});
