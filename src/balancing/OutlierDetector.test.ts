// Passive outlier detection through the balancer: its defaults, the ejection budget
// (maxEjectionPercent) as backends come and go, late failures, and ejections ending in turn.
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../testing/index.js';
import type { BackendDownEvent, BackendUpEvent } from './events.js';
import { LoadBalancer } from './LoadBalancer.js';
import type { OutlierDetectionOptions } from './LoadBalancerOptions.js';
import { RoundRobinPicker } from './RoundRobinPicker.js';

function setup(ids: string[], outlierDetection?: OutlierDetectionOptions) {
  const clock = new FakeClock();
  const lb = new LoadBalancer({
    backends: ids.map((id) => ({ id, target: id })),
    strategy: new RoundRobinPicker(),
    clock,
    ...(outlierDetection === undefined ? {} : { outlierDetection }),
  });
  const events: ((BackendDownEvent | BackendUpEvent) & { event: string })[] = [];
  lb.on('backend:down', (e) => events.push({ event: 'down', ...e }));
  lb.on('backend:up', (e) => events.push({ event: 'up', ...e }));
  /** A lease on backend `id` (every other backend excluded). */
  const on = (id: string) =>
    lb.acquire({ exclude: lb.backends.map((b) => b.id).filter((other) => other !== id) });
  const fail = (id: string, times = 1) => {
    for (let i = 0; i < times; i++) on(id).release('failure');
  };
  const states = () =>
    lb
      .stats()
      .backends.map((b) => `${b.id}:${b.state}`)
      .join(' ');
  return { clock, lb, events, on, fail, states };
}

describe('outlier detection defaults', () => {
  it('ejects after 5 failures in a row, for 30 s × ejections, capped at 300 s', () => {
    const { clock, lb, fail, states } = setup(['a', 'b']);
    fail('a', 4);
    expect(states()).toBe('a:up b:up');
    fail('a');
    expect(lb.stats().backends[0]).toMatchObject({ state: 'ejected', ejections: 1, ejectedUntilMs: 30_000 });
    for (let n = 2; n <= 11; n++) {
      lb.markUp('a');
      fail('a', 5);
      expect(lb.stats().backends[0]?.ejectedUntilMs).toBe(clock.now() + Math.min(30_000 * n, 300_000));
    }
  });

  it('ejects at most half of the backends', () => {
    const { fail, states } = setup(['a', 'b', 'c', 'd']);
    for (const id of ['a', 'b', 'c', 'd']) fail(id, 5);
    expect(states()).toBe('a:ejected b:ejected c:up d:up');
  });
});

describe('consecutive failures', () => {
  it('are reset by a success but not by a cancelled request', () => {
    const { on, fail, states, lb } = setup(['a', 'b'], { consecutiveFailures: 3 });
    fail('a', 2);
    on('a').release('success');
    fail('a', 2);
    expect(states()).toBe('a:up b:up');
    on('a').release('cancelled');
    expect(lb.stats().backends[0]?.consecutiveFailures).toBe(2);
    fail('a');
    expect(states()).toBe('a:ejected b:up');
  });

  it('only eject a backend once: a late failure neither extends nor repeats its ejection', () => {
    const { clock, lb, on, events } = setup(['a', 'b'], { consecutiveFailures: 1, baseEjectionMs: 1_000 });
    const first = on('a');
    const second = on('a');
    first.release('failure');
    clock.advance(10);
    second.release('failure');
    expect(lb.stats().backends[0]).toMatchObject({
      state: 'ejected',
      ejections: 1,
      ejectedUntilMs: 1_000,
      consecutiveFailures: 1,
    });
    expect(events).toStrictEqual([
      { event: 'down', id: 'a', reason: 'outlier-detection', durationMs: 1_000 },
    ]);
    lb.markUp('a'); // ends the ejection and the run of failures
    expect(lb.stats().backends[0]).toMatchObject({
      state: 'up',
      ejectedUntilMs: null,
      consecutiveFailures: 0,
    });
  });
});

describe('the ejection budget', () => {
  const od = { consecutiveFailures: 1, baseEjectionMs: 1_000, maxEjectionPercent: 50 };

  it('is freed when an ejected backend is removed', () => {
    const { lb, fail, states } = setup(['a', 'b', 'c', 'd'], od);
    fail('a');
    lb.remove('a'); // 3 backends left: one may be ejected
    fail('b');
    expect(states()).toBe('b:ejected c:up d:up');
  });

  it('is not freed when a backend that is up is removed', () => {
    const { lb, fail, states } = setup(['a', 'b', 'c', 'd'], od);
    fail('a');
    lb.remove('d'); // 3 backends left, and a still ejected
    fail('b');
    expect(states()).toBe('a:ejected b:up c:up');
  });

  it('is not taken by the late failure of a removed backend', () => {
    const { lb, on, fail, states, events } = setup(['a', 'b', 'c', 'd'], od);
    const late = on('a');
    lb.remove('a');
    late.release('failure');
    fail('b');
    expect(states()).toBe('b:ejected c:up d:up');
    expect(events.map((e) => e.id)).toEqual(['b']);
  });

  it('is not widened by marking up backends that are not ejected', () => {
    const { lb, fail, states } = setup(['a', 'b', 'c'], od);
    for (const id of ['a', 'b', 'c', 'a']) lb.markUp(id);
    for (const id of ['a', 'b', 'c']) fail(id);
    expect(states()).toBe('a:ejected b:up c:up');
  });

  it('is zero with maxEjectionPercent 0, and every backend with 100', () => {
    const none = setup(['a', 'b'], { ...od, maxEjectionPercent: 0 });
    none.fail('a', 3);
    expect(none.states()).toBe('a:up b:up');
    const all = setup(['a', 'b'], { ...od, maxEjectionPercent: 100 });
    all.fail('a');
    all.fail('b');
    expect(all.states()).toBe('a:ejected b:ejected');
  });
});

describe('ejections ending', () => {
  it('brings each backend back when its own ejection is over, as stats() looks', () => {
    const { clock, fail, states, events } = setup(['a', 'b', 'c', 'd'], {
      consecutiveFailures: 1,
      baseEjectionMs: 1_000,
    });
    fail('a');
    clock.advance(500);
    fail('b');
    clock.advance(499);
    expect(states()).toBe('a:ejected b:ejected c:up d:up');
    clock.advance(1);
    expect(states()).toBe('a:up b:ejected c:up d:up');
    clock.advance(499);
    expect(states()).toBe('a:up b:ejected c:up d:up');
    clock.advance(1);
    expect(states()).toBe('a:up b:up c:up d:up');
    expect(events.map((e) => `${e.event} ${e.id}`)).toEqual(['down a', 'down b', 'up a', 'up b']);
  });
});

describe('a backend removed and added again under the same id', () => {
  it('is not ejected by a late failure on its former self', () => {
    const { lb, on, fail, states, events } = setup(['a', 'b', 'c', 'd'], {
      consecutiveFailures: 1,
      maxEjectionPercent: 50,
    });
    const late = on('a');
    lb.remove('a');
    lb.add({ id: 'a', target: 'a' });
    late.release('failure');
    expect(states()).toBe('b:up c:up d:up a:up');
    expect(events).toEqual([]);
    fail('b');
    fail('c'); // the budget is still two of four
    expect(states()).toBe('b:ejected c:ejected d:up a:up');
  });
});

describe('ejection times', () => {
  it('default maxEjectionMs to baseEjectionMs when that is longer than 300 s', () => {
    const { lb, fail } = setup(['a', 'b'], { consecutiveFailures: 1, baseEjectionMs: 400_000 });
    fail('a');
    expect(lb.stats().backends[0]?.ejectedUntilMs).toBe(400_000);
  });

  it('end as the next pick looks, before any stats', () => {
    const { clock, lb, fail } = setup(['a', 'b'], { consecutiveFailures: 1, baseEjectionMs: 1_000 });
    fail('a');
    clock.advance(1_000);
    expect([lb.pick().id, lb.pick().id].sort()).toEqual(['a', 'b']);
  });
});
