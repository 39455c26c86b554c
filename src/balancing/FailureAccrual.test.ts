import { describe, expect, it } from 'vitest';
import { expectInvalidOption } from '../../test/helpers/expectInvalidOption.js';
import { FakeClock } from '../testing/index.js';
import { LoadBalancer } from './LoadBalancer.js';
import { RoundRobinPicker } from './RoundRobinPicker.js';

const backends = (...ids: string[]) => ids.map((id) => ({ id, target: id }));

/** A balancer over `ids` with failure accrual that opens after 2 failures in a row for 1 s. */
function accruing(...ids: string[]) {
  const clock = new FakeClock();
  const lb = new LoadBalancer({
    backends: backends(...ids),
    strategy: new RoundRobinPicker(),
    outlierDetection: false,
    failureAccrual: { breaker: { consecutiveFailures: 2, openDurationMs: 1_000 } },
    clock,
  });
  const events: string[] = [];
  lb.on('backend:down', (e) => events.push(`down ${e.id} ${e.reason} ${e.durationMs ?? '-'}`));
  lb.on('backend:up', (e) => events.push(`up ${e.id} ${e.reason}`));
  return { lb, clock, events };
}

describe('LoadBalancer failure accrual', () => {
  it('example: a breaker per backend', async () => {
    // #region failureAccrual
    const lb = new LoadBalancer({
      backends: [
        { id: 'api-1', target: 'http://10.0.0.1:8080' },
        { id: 'api-2', target: 'http://10.0.0.2:8080' },
      ],
      // Each backend gets a CircuitBreaker: open after 20 % failures over 30 s (20 calls at
      // least) or 5 in a row, for 5 s; an open backend is never picked.
      failureAccrual: true,
    });
    const answer = await lb.run(async (url) => `GET ${url}/search`);
    // #endregion failureAccrual
    expect(answer).toMatch(/^GET http:\/\/10\.0\.0\.[12]:8080\/search$/);
  });

  it('never picks a backend whose breaker is open, and probes it one request at a time once half-open', () => {
    const { lb, clock, events } = accruing('a', 'b');
    for (let i = 0; i < 4; i++) {
      const lease = lb.acquire();
      lease.release(lease.backend.id === 'a' ? 'failure' : 'success');
    }
    expect(events).toEqual(['down a failure-accrual 1000']);
    expect(lb.stateOf('a')).toBe('ejected');
    for (let i = 0; i < 5; i++) expect(lb.pick().id).toBe('b');
    clock.advance(1_000);
    expect(lb.stateOf('a')).toBe('up');
    // Half-open: the first lease on `a` is its probe, and `a` is out of the picks while it runs.
    const leases = [lb.acquire(), lb.acquire()];
    const probe = leases.find((l) => l.backend.id === 'a');
    expect(probe).toBeDefined();
    expect(lb.stateOf('a')).toBe('ejected');
    expect([lb.acquire(), lb.acquire()].map((l) => l.backend.id)).toEqual(['b', 'b']);
    probe?.release('failure');
    expect(lb.stateOf('a')).toBe('ejected');
    clock.advance(1_000);
    const second = [lb.acquire(), lb.acquire()].find((l) => l.backend.id === 'a');
    second?.release('success');
    expect(lb.stateOf('a')).toBe('up');
    // A failed probe keeps `a` out (no second `down`); its next open time ends as the first did.
    expect(events).toEqual([
      'down a failure-accrual 1000',
      'up a failure-accrual',
      'down a failure-accrual -',
      'up a failure-accrual',
      'down a failure-accrual -',
      'up a failure-accrual',
    ]);
  });

  it('counts successes too: one between failures keeps a consecutive-failures breaker closed', () => {
    const { lb, events } = accruing('a');
    for (const result of ['failure', 'success', 'failure', 'success'] as const) lb.acquire().release(result);
    expect(lb.stateOf('a')).toBe('up');
    lb.acquire().release('failure');
    lb.acquire().release('failure');
    expect(lb.stateOf('a')).toBe('ejected');
    expect(events).toEqual(['down a failure-accrual 1000']);
  });

  it('keeps a backend out while its probe runs, however long it takes', () => {
    const { lb, clock } = accruing('a', 'b');
    for (let i = 0; i < 4; i++) {
      const lease = lb.acquire();
      lease.release(lease.backend.id === 'a' ? 'failure' : 'success');
    }
    clock.advance(1_000);
    const probe = [lb.acquire(), lb.acquire()].find((l) => l.backend.id === 'a');
    clock.advance(10_000);
    expect(lb.stateOf('a')).toBe('ejected');
    expect(lb.pick().id).toBe('b');
    probe?.release('success');
    expect(lb.stateOf('a')).toBe('up');
  });

  it('keeps a probing backend out when a request admitted before it opened ends meanwhile', () => {
    const { lb, clock } = accruing('a', 'b');
    const early = lb.acquire({ exclude: ['b'] });
    for (let i = 0; i < 2; i++) lb.acquire({ exclude: ['b'] }).release('failure');
    clock.advance(1_000);
    const probe = lb.acquire({ exclude: ['b'] });
    expect(probe.backend.id).toBe('a');
    early.release('success'); // admitted while closed: says nothing of the probe
    expect(lb.stateOf('a')).toBe('ejected');
    probe.release('success');
    expect(lb.stateOf('a')).toBe('up');
  });

  it('forgets a removed backend that was out of the picks: its open time ends without a word', () => {
    const { lb, clock, events } = accruing('a', 'b');
    for (let i = 0; i < 2; i++) lb.acquire({ exclude: ['b'] }).release('failure');
    lb.remove('a');
    lb.add({ id: 'a', target: 'a' });
    clock.advance(1_000);
    lb.stats();
    expect(events).toEqual(['down a failure-accrual 1000']);
  });

  it('brings each backend back when its own open time is over', () => {
    const { lb, clock } = accruing('a', 'b', 'c');
    const open = (id: string) => {
      for (let i = 0; i < 2; i++)
        lb.acquire({ exclude: ['a', 'b', 'c'].filter((x) => x !== id) }).release('failure');
    };
    open('a');
    clock.advance(100);
    open('b');
    clock.advance(100);
    open('c');
    clock.advance(800); // a's 1 s is over
    expect(['a', 'b', 'c'].map((id) => lb.stateOf(id))).toEqual(['up', 'ejected', 'ejected']);
    clock.advance(100);
    expect(['a', 'b', 'c'].map((id) => lb.stateOf(id))).toEqual(['up', 'up', 'ejected']);
    clock.advance(100);
    expect(lb.stateOf('c')).toBe('up');
  });

  it('frees a probe whose request was cancelled, without an outcome', () => {
    const { lb, clock } = accruing('a');
    lb.acquire().release('failure');
    lb.acquire().release('failure');
    expect(() => lb.pick()).toThrow(expect.objectContaining({ code: 'ERR_LOADSTONE_NO_TARGET' }));
    clock.advance(1_000);
    lb.acquire().release('cancelled');
    expect(lb.stateOf('a')).toBe('up');
    lb.acquire().release('success');
    expect(lb.stateOf('a')).toBe('up');
    expect(lb.stats().failures).toBe(2);
  });

  it('fails fast with NoTargetError when every backend’s breaker is open', async () => {
    const { lb } = accruing('a', 'b');
    for (let i = 0; i < 4; i++) lb.acquire().release('failure');
    await expect(lb.run(async () => 'never')).rejects.toMatchObject({ code: 'ERR_LOADSTONE_NO_TARGET' });
  });

  it('counts a failed run against its backend’s breaker, unless isFailure says the caller was wrong', async () => {
    const clock = new FakeClock();
    const lb = new LoadBalancer({
      backends: backends('a'),
      failureAccrual: { breaker: { consecutiveFailures: 1 } },
      isFailure: (error) => (error as Error).message !== 'not found',
      clock,
    });
    await expect(lb.run(async () => Promise.reject(new Error('not found')))).rejects.toThrow('not found');
    expect(lb.stateOf('a')).toBe('up');
    await expect(lb.run(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(lb.stateOf('a')).toBe('ejected');
  });

  it('charges a failure its latency penalty in the peak EWMA, so a backend failing fast is not the fastest', () => {
    const clock = new FakeClock();
    const lb = new LoadBalancer({
      backends: backends('fast-failing', 'slow'),
      failureAccrual: { breaker: { consecutiveFailures: 100 }, failurePenaltyMs: 250 },
      clock,
    });
    const on = (id: string, ms: number, result: 'success' | 'failure') => {
      for (;;) {
        const lease = lb.acquire({ exclude: [id === 'slow' ? 'fast-failing' : 'slow'] });
        clock.advance(ms);
        lease.release(result);
        if (lease.backend.id === id) return;
      }
    };
    on('slow', 20, 'success');
    on('fast-failing', 1, 'failure');
    const stats = lb.stats().backends;
    expect(stats.find((b) => b.id === 'fast-failing')?.ewmaMs).toBeGreaterThanOrEqual(249);
    expect(stats.find((b) => b.id === 'fast-failing')?.latency.maxMs).toBe(1); // the stats keep the real latency
    expect(lb.pick().id).toBe('slow');
  });

  it('forgets a removed backend: a late outcome of its lease moves nothing, not even a backend added under its id', () => {
    const clock = new FakeClock();
    const lb = new LoadBalancer({
      backends: backends('a'),
      outlierDetection: false,
      failureAccrual: { breaker: { consecutiveFailures: 1, openDurationMs: 1_000 } },
      clock,
    });
    const events: string[] = [];
    lb.on('backend:down', (e) => events.push(`down ${e.id}`));
    lb.on('backend:up', (e) => events.push(`up ${e.id}`));
    const lease = lb.acquire();
    lb.remove('a');
    lb.add({ id: 'a', target: 'a' });
    lease.release('failure'); // would open the old backend's breaker
    expect(lb.stateOf('a')).toBe('up');
    clock.advance(1_000);
    expect(lb.stateOf('a')).toBe('up');
    expect(events).toEqual([]);
    expect(lb.acquire().backend.id).toBe('a');
  });

  it.each([
    [{ failureAccrual: 'yes' }, 'options.failureAccrual', 'an object'],
    [{ failureAccrual: { breakr: {} } }, 'options.failureAccrual.breakr', 'absent'],
    [
      { failureAccrual: { failurePenaltyMs: -1 } },
      'options.failureAccrual.failurePenaltyMs',
      'a finite number >= 0',
    ],
    [
      { failureAccrual: { breaker: { failureRatio: 2, minimumCalls: 5 } } },
      'options.failureAccrual.breaker.failureRatio',
      '',
    ],
    [
      { failureAccrual: { breaker: { openDurationMs: 5 } } },
      'options.failureAccrual.breaker.failureRatio',
      'a number (or `options.failureAccrual.breaker.consecutiveFailures` set): a breaker needs a rule to open',
    ],
    [
      { failureAccrual: { breaker: { consecutiveFailures: 2, timeoutMs: 5 } } },
      'options.failureAccrual.breaker.timeoutMs',
      'absent',
    ],
    [
      { failureAccrual: { breaker: { consecutiveFailures: 2, isFailure: () => true } } },
      'options.failureAccrual.breaker.isFailure',
      'absent',
    ],
  ])('refuses %j with a coded error naming the option', (options, option, expected) => {
    expectInvalidOption(
      () => new LoadBalancer({ backends: backends('a'), ...options } as never),
      option,
      expected,
    );
  });
});
