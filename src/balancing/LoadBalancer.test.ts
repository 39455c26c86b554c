import { afterEach, describe, expect, it, vi } from 'vitest';
import { expectInvalidOption } from '../../test/helpers/expectInvalidOption.js';
import {
  ClosedError,
  type HealthCheck,
  type HealthCheckResult,
  InvalidOptionError,
  isLoadstoneError,
  NoTargetError,
  type PickCandidate,
  type Picker,
} from '../core/index.js';
import { FakeClock } from '../testing/index.js';
import type { BackendDownEvent, BackendUpEvent } from './events.js';
import { LeastConnectionsPicker } from './LeastConnectionsPicker.js';
import { LoadBalancer } from './LoadBalancer.js';
import { RoundRobinPicker } from './RoundRobinPicker.js';

const backends = (...ids: string[]) => ids.map((id) => ({ id, target: `http://${id}.internal` }));

describe('LoadBalancer', () => {
  it('balances requests over backends', async () => {
    // #region quickStart
    const lb = new LoadBalancer({
      backends: [
        { id: 'api-1', target: 'http://10.0.0.1:8080' },
        { id: 'api-2', target: 'http://10.0.0.2:8080', weight: 2 },
      ],
      // strategy: new PeakEwmaPicker() by default; any Picker will do
    });
    const body = await lb.run(async (url, signal) => {
      // e.g. (await fetch(`${url}/users/42`, { signal })).json()
      return `GET ${url}/users/42 ${signal.aborted ? 'aborted' : 'ok'}`;
    });
    const { requests, backends: perBackend } = lb.stats(); // 1, per-backend load and latency
    // #endregion quickStart
    expect(body).toMatch(/^GET http:\/\/10\.0\.0\.[12]:8080\/users\/42 ok$/);
    expect(requests).toBe(1);
    expect(perBackend.map((b) => b.id)).toEqual(['api-1', 'api-2']);
  });

  it('runs a request, tracking in-flight, latency and outcome', async () => {
    const clock = new FakeClock();
    // #region run
    const lb = new LoadBalancer({ backends: backends('a', 'b'), clock, strategy: new RoundRobinPicker() });
    let finish: (value: string) => void = () => {};
    const pending = lb.run(() => new Promise<string>((resolve) => (finish = resolve)));
    lb.stats().inFlight; // 1 while the request runs
    clock.advance(25);
    finish('done');
    await pending; // 'done'; backend a: 1 request, latency 25 ms
    await expect(lb.run(() => Promise.reject(new Error('503')))).rejects.toThrow('503'); // a failure of b
    // #endregion run
    const stats = lb.stats();
    expect(stats.inFlight).toBe(0);
    expect(stats.requests).toBe(2);
    expect(stats.failures).toBe(1);
    expect(stats.backends[0]).toMatchObject({ id: 'a', requests: 1, failures: 0, ewmaMs: 25 });
    expect(stats.backends[0]?.latency).toMatchObject({ count: 1, p50Ms: 25 });
    expect(stats.backends[1]).toMatchObject({ id: 'b', requests: 1, failures: 1, consecutiveFailures: 1 });
    expect(JSON.parse(JSON.stringify(stats))).toEqual(stats);
  });

  it('leases a backend until released', () => {
    const clock = new FakeClock();
    // #region acquire
    const lb = new LoadBalancer({ backends: backends('a'), clock });
    const lease = lb.acquire();
    // … stream a response from lease.backend.target …
    clock.advance(40);
    lease.release('success'); // or 'failure', or 'cancelled' (not the backend's fault)
    lease.release('failure'); // ignored: only the first release counts
    // #endregion acquire
    expect(lb.stats().backends[0]).toMatchObject({ inFlight: 0, requests: 1, failures: 0, ewmaMs: 40 });
    expect(() => lb.acquire().release('bad' as never)).toThrow(InvalidOptionError);
  });

  it('accepts a custom strategy', () => {
    // #region customPicker
    /** Sends everything to the candidate with the lowest latency estimate (unmeasured first). */
    class FastestPicker implements Picker {
      pick<C extends PickCandidate>(candidates: readonly C[]): C | undefined {
        let best: C | undefined;
        for (const c of candidates)
          if (best === undefined || (c.latencyMs ?? 0) < (best.latencyMs ?? 0)) best = c;
        return best;
      }
    }
    const lb = new LoadBalancer({ backends: backends('a', 'b'), strategy: new FastestPicker() });
    // #endregion customPicker
    expect(lb.pick().id).toBe('a');
  });

  it('never picks a backend that is down, and throws NoTargetError when none is up', async () => {
    const lb = new LoadBalancer({ backends: backends('a', 'b'), strategy: new RoundRobinPicker() });
    const events: (BackendDownEvent | BackendUpEvent)[] = [];
    lb.on('backend:down', (e) => events.push(e));
    lb.on('backend:up', (e) => events.push(e));
    lb.markDown('a');
    lb.markDown('a');
    for (let i = 0; i < 5; i++) expect(lb.pick().id).toBe('b');
    lb.markDown('b');
    expect(() => lb.pick()).toThrow(NoTargetError);
    await expect(lb.run(() => 1)).rejects.toSatisfy((e) => isLoadstoneError(e, 'ERR_LOADSTONE_NO_TARGET'));
    expect(lb.stateOf('a')).toBe('down');
    lb.markUp('a');
    expect(lb.pick().id).toBe('a');
    expect(events).toEqual([
      { id: 'a', reason: 'manual' },
      { id: 'b', reason: 'manual' },
      { id: 'a', reason: 'manual' },
    ]);
    expect(lb.stats().noTarget).toBe(2);
    const empty = new LoadBalancer<string>({ backends: [] });
    expect(() => empty.pick()).toThrow('No target available: the load balancer has no backends');
  });

  it('adds and removes backends', () => {
    const lb = new LoadBalancer({ backends: backends('a'), strategy: new RoundRobinPicker() });
    const added: string[] = [];
    lb.on('backend:added', (e) => added.push(`+${e.id}`));
    lb.on('backend:removed', (e) => added.push(`-${e.id}`));
    lb.add({ id: 'b', target: 'b', weight: 2, groups: ['premium'] });
    expect(lb.size).toBe(2);
    expect(lb.backends).toEqual([
      { id: 'a', target: 'http://a.internal', weight: 1, groups: [] },
      { id: 'b', target: 'b', weight: 2, groups: ['premium'] },
    ]);
    const lease = lb.acquire({ group: 'premium' });
    expect(lease.backend.id).toBe('b');
    lb.remove('b');
    lease.release('failure'); // a removed backend's request still finishes cleanly
    expect(lb.pick().id).toBe('a');
    expect(lb.stats()).toMatchObject({ inFlight: 0, requests: 1, failures: 1 });
    expect(added).toEqual(['+b', '-b']);
  });

  it('routes affinity groups to their members, and to the rest when they are all down', () => {
    // #region affinity
    const lb = new LoadBalancer({
      backends: [
        { id: 'p1', target: 'p1', groups: ['premium'] },
        { id: 'p2', target: 'p2', groups: ['premium'] },
        { id: 's1', target: 's1' },
      ],
      strategy: new RoundRobinPicker(),
    });
    lb.pick({ group: 'premium' }); // p1, then p2, p1…
    lb.markDown('p1');
    lb.markDown('p2');
    const fallback = lb.pick({ group: 'premium' }); // s1: the premium backends are down
    // #endregion affinity
    expect(fallback.id).toBe('s1');
    lb.markUp('p2');
    for (let i = 0; i < 4; i++) expect(lb.pick({ group: 'premium' }).id).toBe('p2');
    expect(lb.pick({ group: 'unknown' }).id).toMatch(/^(p2|s1)$/);
    expect(() => lb.pick({ group: '' })).toThrow(InvalidOptionError);
  });

  it('avoids excluded backends (a retry goes elsewhere), unless that leaves none', async () => {
    const lb = new LoadBalancer({ backends: backends('a', 'b', 'c'), strategy: new RoundRobinPicker() });
    // #region retryElsewhere
    const tried: string[] = [];
    const call = (exclude: readonly string[]) =>
      lb.run(
        async (_target, _signal, backend) => {
          tried.push(backend.id);
          if (backend.id !== 'c') throw new Error(`${backend.id} is failing`);
          return 'ok';
        },
        { exclude },
      );
    let result: string | undefined;
    for (let attempt = 0; attempt < 3 && result === undefined; attempt++) {
      result = await call(tried).catch(() => undefined); // each retry skips the backends tried
    }
    // #endregion retryElsewhere
    expect(result).toBe('ok');
    expect(tried.at(-1)).toBe('c');
    expect(new Set(tried).size).toBe(tried.length); // never the same backend twice
    expect(lb.pick({ exclude: ['a', 'b', 'c'] }).id).toMatch(/^[abc]$/); // all excluded: all allowed
    expect(() => lb.pick({ exclude: 'a' as never })).toThrow(InvalidOptionError);
  });

  it('ejects a backend after consecutive failures, for base × ejections, and brings it back', () => {
    // #region outlierDetection
    const clock = new FakeClock();
    const lb = new LoadBalancer({
      backends: backends('a', 'b', 'c', 'd'),
      strategy: new RoundRobinPicker(),
      outlierDetection: { consecutiveFailures: 3, baseEjectionMs: 10_000, maxEjectionPercent: 50 },
      clock,
    });
    const fail = (id: string) => {
      const lease = lb.acquire();
      lease.release(lease.backend.id === id ? 'failure' : 'success');
    };
    for (let i = 0; i < 12; i++) fail('a'); // a fails three times in a row
    lb.stateOf('a'); // 'ejected' for 10 s
    clock.advance(10_000);
    lb.stateOf('a'); // 'up' again; a second ejection would last 20 s
    // #endregion outlierDetection
    expect(lb.stateOf('a')).toBe('up');
    expect(lb.stats().backends[0]).toMatchObject({
      ejections: 1,
      ejectedUntilMs: null,
      consecutiveFailures: 0,
    });
    const events: string[] = [];
    lb.on('backend:down', (e) => events.push(`down ${e.id} ${e.reason} ${e.durationMs}`));
    lb.on('backend:up', (e) => events.push(`up ${e.id} ${e.reason}`));
    for (let i = 0; i < 12; i++) fail('a');
    expect(lb.stateOf('a')).toBe('ejected');
    expect(lb.stats().backends[0]?.ejectedUntilMs).toBe(30_000);
    for (let i = 0; i < 30; i++) expect(lb.pick().id).not.toBe('a');
    clock.advance(19_999);
    expect(lb.stateOf('a')).toBe('ejected');
    clock.advance(1);
    expect(lb.pick().id).toBeDefined();
    expect(lb.stateOf('a')).toBe('up');
    expect(events).toEqual(['down a outlier-detection 20000', 'up a outlier-detection']);
  });

  it('never ejects more than maxEjectionPercent of the backends, and caps the ejection time', () => {
    const clock = new FakeClock();
    const lb = new LoadBalancer({
      backends: backends('a', 'b', 'c'),
      strategy: new RoundRobinPicker(),
      outlierDetection: { consecutiveFailures: 1, baseEjectionMs: 100, maxEjectionMs: 150 },
      clock,
    });
    for (let i = 0; i < 9; i++) lb.acquire().release('failure');
    expect(lb.stats().backends.map((b) => b.state)).toEqual(['ejected', 'up', 'up']); // 50 % of 3 → 1
    clock.advance(100);
    lb.markUp('a'); // no-op for state; a is back already
    lb.acquire().release('failure'); // round-robin continues: someone fails and is ejected
    const ejected = lb.stats().backends.filter((b) => b.state === 'ejected');
    expect(ejected).toHaveLength(1);
    const noEjection = new LoadBalancer({
      backends: backends('a'),
      outlierDetection: false,
    });
    for (let i = 0; i < 10; i++) noEjection.acquire().release('failure');
    expect(noEjection.stateOf('a')).toBe('up');
    // the second ejection of one backend lasts 2 × 100 ms, capped at 150
    const single = new LoadBalancer({
      backends: backends('a', 'b'),
      strategy: new RoundRobinPicker(),
      outlierDetection: { consecutiveFailures: 1, baseEjectionMs: 100, maxEjectionMs: 150 },
      clock,
    });
    const failA = () => {
      for (;;) {
        const lease = single.acquire();
        lease.release(lease.backend.id === 'a' ? 'failure' : 'success');
        if (lease.backend.id === 'a') return;
      }
    };
    failA();
    clock.advance(100);
    failA();
    expect(single.stats().backends[0]?.ejectedUntilMs).toBe(clock.now() + 150);
    single.markUp('a');
    expect(single.stateOf('a')).toBe('up');
  });

  it('counts aborted runs as cancelled, not failures, and rejects with the reason', async () => {
    const lb = new LoadBalancer({ backends: backends('a') });
    const controller = new AbortController();
    let seen: AbortSignal | undefined;
    let finish: () => void = () => {};
    const pending = lb.run(
      (_url, signal) => {
        seen = signal;
        return new Promise<void>((_, reject) => (finish = () => reject(new Error('aborted by fn'))));
      },
      { signal: controller.signal },
    );
    const reason = new Error('user gave up');
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
    expect(seen?.aborted).toBe(true);
    expect(lb.stats().inFlight).toBe(1); // still running on the backend
    finish();
    await vi.waitFor(() => expect(lb.stats().inFlight).toBe(0));
    expect(lb.stats()).toMatchObject({ failures: 0, requests: 1 });
    expect(lb.stats().backends[0]?.latency.count).toBe(0);
    await expect(lb.run(() => 1, { signal: AbortSignal.abort('no') })).rejects.toMatchObject({
      code: 'ERR_LOADSTONE_ABORTED',
    });
    await expect(lb.run(() => 1, { signal: 'x' as never })).rejects.toThrow(InvalidOptionError);
    await expect(lb.run('x' as never)).rejects.toThrow(InvalidOptionError);
  });

  it('lets isFailure excuse errors, and counts synchronous throws', async () => {
    const lb = new LoadBalancer({
      backends: backends('a'),
      isFailure: (error) => !(error instanceof RangeError),
    });
    await expect(
      lb.run(() => {
        throw new RangeError('404');
      }),
    ).rejects.toThrow('404');
    await expect(
      lb.run(() => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(lb.stats().backends[0]).toMatchObject({ requests: 2, failures: 1, consecutiveFailures: 1 });
  });
});

describe('LoadBalancer lifecycle', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('close() stops intake and waits for in-flight requests', async () => {
    // #region close
    const lb = new LoadBalancer({ backends: backends('a') });
    const lease = lb.acquire();
    const closing = lb.close(); // pending until the lease is released
    lb.closed; // true: pick, acquire, run and add now fail with ClosedError
    lease.release();
    await closing;
    // #endregion close
    expect(() => lb.pick()).toThrow(ClosedError);
    expect(() => lb.add({ id: 'b', target: 'b' })).toThrow(ClosedError);
    await expect(lb.run(() => 1)).rejects.toThrow(ClosedError);
    await lb.close();
    await lb[Symbol.asyncDispose]();
  });

  it('destroy() abandons running requests with ClosedError', async () => {
    const lb = new LoadBalancer({ backends: backends('a') });
    const pending = lb.run(() => new Promise(() => {}));
    const abandoned = expect(pending).rejects.toSatisfy(
      (e) => e instanceof ClosedError && (e as ClosedError).cause === 'shutdown',
    );
    const closing = lb.close();
    await lb.destroy('shutdown');
    await closing;
    await abandoned;
    await lb.destroy();
  });

  it('close() with an aborted signal destroys and rejects with the reason', async () => {
    const lb = new LoadBalancer({ backends: backends('a') });
    const pending = lb.run(() => new Promise(() => {}));
    const controller = new AbortController();
    const closing = lb.close({ signal: controller.signal });
    const abandoned = expect(pending).rejects.toThrow(ClosedError);
    controller.abort(new Error('too slow'));
    await expect(closing).rejects.toThrow('too slow');
    await abandoned;
    const other = new LoadBalancer({ backends: backends('a') });
    await expect(other.close({ signal: AbortSignal.abort(new Error('now')) })).rejects.toThrow('now');
  });

  it('close() gives up on a hung run after closeTimeoutMs: destroys, then resolves', async () => {
    vi.useFakeTimers();
    const lb = new LoadBalancer({ backends: backends('a'), closeTimeoutMs: 2_000 });
    const hung = lb.run(() => new Promise(() => {})).catch((e: unknown) => e);
    let closed = false;
    const closing = lb.close().then(() => {
      closed = true;
    });
    await vi.advanceTimersByTimeAsync(1_999);
    expect(closed).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await closing;
    const error = await hung;
    expect(error).toBeInstanceOf(ClosedError);
    expect((error as Error).cause).toMatchObject({ code: 'ERR_LOADSTONE_TIMEOUT' });
  });

  it('runs active health checks on an interval, marking backends down and up', async () => {
    vi.useFakeTimers();
    // #region healthCheck
    const verdicts: Record<string, HealthCheckResult['status']> = { a: 'healthy', b: 'healthy' };
    const lb = new LoadBalancer({
      backends: backends('a', 'b'),
      healthCheck: {
        check: (backend): HealthCheck => ({
          name: backend.id,
          check: async () => ({ status: verdicts[backend.id] ?? 'critical' }), // e.g. GET /healthz
        }),
        intervalMs: 1_000,
        unhealthyThreshold: 2,
        healthyThreshold: 1,
      },
    });
    verdicts.a = 'critical';
    await vi.advanceTimersByTimeAsync(2_000); // checks at 1 s and 2 s fail: two in a row
    lb.stateOf('a'); // 'down'
    await lb.close(); // stops the checks
    // #endregion healthCheck
    expect(lb.stats().backends.map((b) => b.state)).toEqual(['down', 'up']);
  });

  it('counts rejections and timeouts as failed checks, and brings backends back', async () => {
    vi.useFakeTimers();
    let mode: 'reject' | 'hang' | 'ok' = 'reject';
    const events: string[] = [];
    const lb = new LoadBalancer({
      backends: backends('a'),
      healthCheck: {
        check: () => ({
          name: 'x',
          check: (signal) =>
            mode === 'ok'
              ? Promise.resolve({ status: 'degraded' as const })
              : mode === 'reject'
                ? Promise.reject(new Error('ECONNREFUSED'))
                : new Promise((_, reject) => signal?.addEventListener('abort', () => reject(signal.reason))),
        }),
        intervalMs: 100,
        timeoutMs: 50,
        unhealthyThreshold: 1,
        healthyThreshold: 2,
      },
    });
    lb.on('backend:down', (e) => events.push(`down ${e.reason} ${e.message}`));
    lb.on('backend:up', (e) => events.push(`up ${e.reason}`));
    await vi.advanceTimersByTimeAsync(0);
    expect(lb.stateOf('a')).toBe('down');
    expect(() => lb.pick()).toThrow(NoTargetError);
    lb.markUp('a'); // a manual markUp does not override failing checks
    expect(lb.stateOf('a')).toBe('down');
    mode = 'hang';
    await vi.advanceTimersByTimeAsync(200);
    expect(lb.stateOf('a')).toBe('down');
    mode = 'ok';
    await vi.advanceTimersByTimeAsync(100);
    expect(lb.stateOf('a')).toBe('down'); // one pass of the two needed
    await vi.advanceTimersByTimeAsync(100);
    expect(lb.stateOf('a')).toBe('up');
    expect(events).toEqual(['down health-check ECONNREFUSED', 'up health-check']);
    lb.add({ id: 'b', target: 'b' });
    lb.remove('b');
    mode = 'hang';
    await vi.advanceTimersByTimeAsync(60);
    await lb.destroy();
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('LoadBalancer options', () => {
  const ok = backends('a');
  const cases: [string, () => unknown, string, string][] = [
    ['no options', () => new LoadBalancer(undefined as never), 'options', 'an object'],
    [
      'backends not an array',
      () => new LoadBalancer({ backends: {} as never }),
      'options.backends',
      'an array',
    ],
    [
      'a backend that is not an object',
      () => new LoadBalancer({ backends: [1 as never] }),
      'options.backends[0]',
      'an object',
    ],
    [
      'an empty id',
      () => new LoadBalancer({ backends: [{ id: '', target: 1 }] }),
      'options.backends[0].id',
      'a non-empty string',
    ],
    [
      'a duplicate id',
      () => new LoadBalancer({ backends: [...ok, ...ok] }),
      'options.backends[1].id',
      'an id not already in the balancer',
    ],
    [
      'a zero weight',
      () => new LoadBalancer({ backends: [{ id: 'a', weight: 0, target: 1 }] }),
      'options.backends[0].weight',
      'a finite number > 0',
    ],
    [
      'groups not an array',
      () => new LoadBalancer({ backends: [{ id: 'a', target: 1, groups: 'x' as never }] }),
      'options.backends[0].groups',
      'an array',
    ],
    [
      'an empty group',
      () => new LoadBalancer({ backends: [{ id: 'a', target: 1, groups: [''] }] }),
      'options.backends[0].groups[0]',
      'a non-empty string',
    ],
    [
      'a strategy without pick',
      () => new LoadBalancer({ backends: ok, strategy: {} as never }),
      'options.strategy',
      'a Picker',
    ],
    [
      'a clock without now',
      () => new LoadBalancer({ backends: ok, clock: {} as never }),
      'options.clock',
      'a Clock',
    ],
    [
      'ewmaDecayMs of zero',
      () => new LoadBalancer({ backends: ok, ewmaDecayMs: 0 }),
      'options.ewmaDecayMs',
      'a finite number >= 1',
    ],
    [
      'isFailure not a function',
      () => new LoadBalancer({ backends: ok, isFailure: 1 as never }),
      'options.isFailure',
      'a function',
    ],
    [
      'outlierDetection not an object',
      () => new LoadBalancer({ backends: ok, outlierDetection: 1 as never }),
      'options.outlierDetection',
      'an object',
    ],
    [
      'consecutiveFailures of zero',
      () => new LoadBalancer({ backends: ok, outlierDetection: { consecutiveFailures: 0 } }),
      'options.outlierDetection.consecutiveFailures',
      'an integer >= 1',
    ],
    [
      'maxEjectionPercent above 100',
      () => new LoadBalancer({ backends: ok, outlierDetection: { maxEjectionPercent: 101 } }),
      'options.outlierDetection.maxEjectionPercent',
      'a finite number >= 0 and <= 100',
    ],
    [
      'maxEjectionMs below baseEjectionMs',
      () => new LoadBalancer({ backends: ok, outlierDetection: { baseEjectionMs: 10, maxEjectionMs: 5 } }),
      'options.outlierDetection.maxEjectionMs',
      'a finite number >= 10',
    ],
    [
      'healthCheck without check',
      () => new LoadBalancer({ backends: ok, healthCheck: {} as never }),
      'options.healthCheck.check',
      'a function',
    ],
    [
      'a check factory returning no HealthCheck',
      () => new LoadBalancer({ backends: ok, healthCheck: { check: () => ({}) as never } }),
      'options.healthCheck.check',
      'a function returning a HealthCheck',
    ],
    [
      'intervalMs of zero',
      () => new LoadBalancer({ backends: ok, healthCheck: { check: () => ({}) as never, intervalMs: 0 } }),
      'options.healthCheck.intervalMs',
      'a finite number >= 1',
    ],
    [
      'a fractional healthyThreshold',
      () =>
        new LoadBalancer({
          backends: ok,
          healthCheck: { check: () => ({}) as never, healthyThreshold: 1.5 },
        }),
      'options.healthCheck.healthyThreshold',
      'an integer >= 1',
    ],
    [
      'adding a duplicate',
      () => new LoadBalancer({ backends: ok }).add({ id: 'a', target: 'a' }),
      'backend.id',
      'an id not already',
    ],
    [
      'removing an unknown id',
      () => new LoadBalancer({ backends: ok }).remove('zz'),
      'id',
      'the id of a backend',
    ],
    [
      'marking an unknown id down',
      () => new LoadBalancer({ backends: ok }).markDown('zz'),
      'id',
      'the id of a backend',
    ],
    [
      'a hash pick without key',
      () =>
        new LoadBalancer({
          backends: ok,
          strategy: new (class {
            pick = () => {
              throw new InvalidOptionError('ctx.key', 'a string or a finite number', undefined);
            };
          })(),
        }).pick(),
      'ctx.key',
      'a string',
    ],
    [
      'a random source that is not a function',
      () => new LeastConnectionsPicker({ random: 1 as never }),
      'options.random',
      'a function',
    ],
  ];
  it.each(cases)('%s', (_name, act, option, expected) => expectInvalidOption(act, option, expected));
});
