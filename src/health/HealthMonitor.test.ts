import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { describe, expect, it, vi } from 'vitest';
import { expectInvalidOption } from '../../test/helpers/expectInvalidOption.js';
import { monitors, QUIET, ScriptedSampler, scripted, serve } from '../../test/helpers/scriptedMonitor.js';
import { MemoryTier, TieredCache } from '../cache/index.js';
import { ClosedError, isLoadstoneError } from '../core/errors/index.js';
import type { HealthCheck, HealthCheckResult } from '../core/HealthCheck.js';
import type { LoadChange } from '../core/LoadSignal.js';
import { FakeClock } from '../testing/FakeClock.js';
import { HealthMonitor } from './HealthMonitor.js';
import type { HealthMonitorOptions, HealthStatusChangedEvent } from './HealthMonitorOptions.js';
import type { HealthSample } from './HealthSample.js';
import { ProcessSampler } from './ProcessSampler.js';

const HOUR = 3_600_000;
const MB = 1024 * 1024;

describe('HealthMonitor', () => {
  it('shows the intended use', async () => {
    const redis = { ping: async () => 'PONG' };
    // #region healthMonitor
    const monitor = new HealthMonitor({
      intervalMs: 1000,
      thresholds: {
        eventLoopDelayMs: { degraded: 100, critical: 300 }, // p99 over each interval
        heapUsedRatio: { critical: 0.9 }, // used / heap_size_limit
        rssMb: { degraded: 1500, critical: 1800 }, // off unless given
      },
      hysteresis: { recoverAfter: 3, margin: 0.1 }, // 3 calm intervals, 10 % below the line
      checks: [
        {
          name: 'redis',
          check: async () => ({ status: (await redis.ping()) === 'PONG' ? 'healthy' : 'critical' }),
        },
      ],
      checkTimeoutMs: 500,
    });
    monitor.on('status:changed', ({ previous, status, snapshot }) =>
      console.warn(`health ${previous} → ${status}: ${snapshot.reasons.join('; ')}`),
    );

    const server = createServer((req, res) => {
      if (req.url === '/live') return monitor.livenessHandler()(req, res);
      if (req.url === '/ready') return monitor.readinessHandler()(req, res);
      monitor.loadShedding()(req, res, () => res.end('hello'));
    });
    process.once('SIGTERM', () => {
      monitor.beginShutdown(); // /ready answers 503 from now on
      server.close(() => void monitor.close());
    });
    // #endregion healthMonitor
    monitors.push(monitor);
    expect(monitor.status).toBe('healthy');
    const snapshot = await monitor.refresh();
    expect(snapshot.checks.redis?.status).toBe('healthy');
    expect(snapshot.samples).toBe(1);
    expect(snapshot.heapLimitBytes).toBeGreaterThan(0);
    expect(snapshot.rssBytes).toBeGreaterThan(0);
    process.removeAllListeners('SIGTERM');
    server.close();
  });

  describe('thresholds', () => {
    it('maps each metric to degraded and critical, with a reason per crossed threshold', async () => {
      const { monitor, sampler } = scripted({
        thresholds: {
          eventLoopDelayMs: { degraded: 100, critical: 300 },
          eventLoopUtilization: { degraded: 0.9, critical: 0.98 },
          heapUsedRatio: { degraded: 0.8, critical: 0.9 },
          rssMb: { degraded: 500, critical: 800 },
          cpuPercent: { degraded: 80, critical: 95 },
        },
        hysteresis: { recoverAfter: 1, margin: 0 },
      });
      const cases: [Partial<HealthSample>, string, string[]][] = [
        [{}, 'healthy', []],
        [
          { eventLoopDelay: { p50: 1, p99: 100, max: 120, mean: 5 } },
          'degraded',
          ['event loop delay p99 100 ms >= 100 ms (degraded)'],
        ],
        [
          { eventLoopDelay: { p50: 1, p99: 300, max: 320, mean: 5 } },
          'critical',
          ['event loop delay p99 300 ms >= 300 ms (critical)'],
        ],
        [{ eventLoopUtilization: 0.95 }, 'degraded', ['event loop utilisation 0.95 >= 0.9 (degraded)']],
        [{ eventLoopUtilization: 0.99 }, 'critical', ['event loop utilisation 0.99 >= 0.98 (critical)']],
        [{ heapUsedBytes: 850 * MB }, 'degraded', ['heap used/limit 0.85 >= 0.8 (degraded)']],
        [{ heapUsedBytes: 950 * MB }, 'critical', ['heap used/limit 0.95 >= 0.9 (critical)']],
        [{ rssBytes: 600 * MB }, 'degraded', ['rss 600 MiB >= 500 MiB (degraded)']],
        [{ rssBytes: 900 * MB }, 'critical', ['rss 900 MiB >= 800 MiB (critical)']],
        [{ cpuPercent: 85 }, 'degraded', ['cpu 85 % >= 80 % (degraded)']],
        [{ cpuPercent: 99 }, 'critical', ['cpu 99 % >= 95 % (critical)']],
        [
          { cpuPercent: 85, rssBytes: 900 * MB },
          'critical',
          ['rss 900 MiB >= 800 MiB (critical)', 'cpu 85 % >= 80 % (degraded)'],
        ],
      ];
      for (const [override, status, reasons] of cases) {
        sampler.next = { ...QUIET, ...override };
        const snapshot = await monitor.refresh();
        expect({ status: snapshot.status, reasons: snapshot.reasons }).toEqual({ status, reasons });
        expect(monitor.status).toBe(status);
      }
    });

    it('uses the documented defaults: delay 100/300 ms, ELU 0.9/none, heap 0.85/0.95, RSS and CPU off', async () => {
      const { monitor, sampler } = scripted({ hysteresis: { recoverAfter: 1, margin: 0 } });
      const statusOf = async (override: Partial<HealthSample>) => {
        sampler.next = { ...QUIET, ...override };
        return (await monitor.refresh()).status;
      };
      expect(await statusOf({ eventLoopDelay: { p50: 0, p99: 99, max: 99, mean: 0 } })).toBe('healthy');
      expect(await statusOf({ eventLoopDelay: { p50: 0, p99: 100, max: 99, mean: 0 } })).toBe('degraded');
      expect(await statusOf({ eventLoopDelay: { p50: 0, p99: 300, max: 99, mean: 0 } })).toBe('critical');
      expect(await statusOf({ eventLoopUtilization: 0.9 })).toBe('degraded');
      expect(await statusOf({ eventLoopUtilization: 1 })).toBe('degraded'); // saturated is not overloaded
      expect(await statusOf({ heapUsedBytes: 850 * MB })).toBe('degraded');
      expect(await statusOf({ heapUsedBytes: 950 * MB })).toBe('critical');
      expect(await statusOf({ rssBytes: 1e12, cpuPercent: 400 })).toBe('healthy');
    });

    it('turns a metric off with false, and skips a level left out', async () => {
      const { monitor, sampler } = scripted({
        thresholds: { eventLoopDelayMs: false, eventLoopUtilization: { critical: 0.5 } },
      });
      sampler.delay(10_000);
      expect((await monitor.refresh()).status).toBe('healthy');
      sampler.next = { ...QUIET, eventLoopUtilization: 0.49 };
      expect((await monitor.refresh()).status).toBe('healthy');
      sampler.next = { ...QUIET, eventLoopUtilization: 0.5 };
      expect((await monitor.refresh()).status).toBe('critical');
    });
  });

  describe('hysteresis', () => {
    it('escalates at once but recovers only after recoverAfter calm intervals', async () => {
      const { monitor, sampler, changes } = scripted({ hysteresis: { recoverAfter: 3, margin: 0.1 } });
      await monitor.refresh();
      sampler.delay(400);
      expect((await monitor.refresh()).status).toBe('critical');
      sampler.delay(5);
      const held = await monitor.refresh();
      expect(held.status).toBe('critical');
      expect(held.reasons).toEqual(['recovering: 1 of 3 intervals below the recovery level']);
      expect((await monitor.refresh()).status).toBe('critical');
      expect((await monitor.refresh()).status).toBe('healthy');
      expect(changes).toEqual(['healthy->critical', 'critical->healthy']);
    });

    it('needs the metric below the threshold lowered by the margin to count a calm interval', async () => {
      const { monitor, sampler, changes } = scripted({ hysteresis: { recoverAfter: 2, margin: 0.1 } });
      sampler.delay(150); // degraded (>= 100)
      await monitor.refresh();
      sampler.delay(95); // below 100, but not below 90: holds
      for (let i = 0; i < 5; i++) {
        const s = await monitor.refresh();
        expect(s.status).toBe('degraded');
        expect(s.reasons).toEqual([
          'holding degraded: a metric is within the 10 % recovery margin of its threshold',
        ]);
      }
      sampler.delay(89);
      expect((await monitor.refresh()).status).toBe('degraded');
      sampler.delay(95); // breaks the streak
      expect((await monitor.refresh()).status).toBe('degraded');
      sampler.delay(89);
      expect((await monitor.refresh()).status).toBe('degraded');
      expect((await monitor.refresh()).status).toBe('healthy');
      expect(changes).toEqual(['healthy->degraded', 'degraded->healthy']);
    });

    it('steps down from critical to degraded when the calm intervals are only degraded', async () => {
      const { monitor, sampler, changes } = scripted({ hysteresis: { recoverAfter: 2, margin: 0 } });
      sampler.delay(500);
      await monitor.refresh();
      sampler.delay(150);
      await monitor.refresh();
      sampler.delay(10);
      await monitor.refresh(); // a streak of {degraded, healthy}: recovers to the worse of the two
      expect(monitor.status).toBe('degraded');
      expect(changes).toEqual(['healthy->critical', 'critical->degraded']);
    });

    it('escalates only after enterAfter intervals, to the least bad level of the streak', async () => {
      const { monitor, sampler, changes } = scripted({ hysteresis: { enterAfter: 3, recoverAfter: 1 } });
      sampler.delay(500);
      expect((await monitor.refresh()).status).toBe('healthy');
      sampler.delay(150);
      expect((await monitor.refresh()).status).toBe('healthy');
      sampler.delay(10); // streak broken
      expect((await monitor.refresh()).status).toBe('healthy');
      for (const p99 of [500, 150, 500]) {
        sampler.delay(p99);
        await monitor.refresh();
      }
      expect(monitor.status).toBe('degraded');
      expect(changes).toEqual(['healthy->degraded']);
    });

    it('is driven by the interval timer (fake timers), each tick one sample', async () => {
      vi.useFakeTimers();
      const sampler = new ScriptedSampler();
      const monitor = new HealthMonitor({ intervalMs: 1000, sampler, hysteresis: { recoverAfter: 2 } });
      monitors.push(monitor);
      const statuses: string[] = [];
      monitor.on('snapshot:taken', (s) => statuses.push(s.status));
      await vi.advanceTimersByTimeAsync(999);
      expect(sampler.calls).toBe(0);
      sampler.delay(400);
      await vi.advanceTimersByTimeAsync(1);
      sampler.delay(1);
      await vi.advanceTimersByTimeAsync(3000);
      expect(statuses).toEqual(['critical', 'critical', 'healthy', 'healthy']);
      await monitor.close();
      await vi.advanceTimersByTimeAsync(5000);
      expect(sampler.calls).toBe(4);
      expect(vi.getTimerCount()).toBe(0);
    });
  });

  it('is a LoadSignal: subscribers see each change after status moved, and can unsubscribe', async () => {
    const clock = new FakeClock({ startMs: 500 });
    const { monitor, sampler } = scripted({ clock, hysteresis: { recoverAfter: 1 } });
    const seen: (LoadChange & { current: string })[] = [];
    const sub = monitor.subscribe((c) => seen.push({ ...c, current: monitor.status }));
    const other = vi.fn(() => {
      throw new Error('listener bug');
    });
    const warning = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    monitor.subscribe(other);
    sampler.delay(150);
    await monitor.refresh();
    expect(seen).toEqual([
      {
        status: 'degraded',
        previous: 'healthy',
        reason: 'event loop delay p99 150 ms >= 100 ms (degraded)',
        at: 500,
        current: 'degraded',
      },
    ]);
    expect(warning).toHaveBeenCalledWith(expect.stringContaining('listener bug'), {
      code: 'LOADSTONE_WARN_HEALTH_LISTENER_THREW',
      detail: expect.any(String),
    });
    sub[Symbol.dispose]();
    sampler.delay(1);
    await monitor.refresh();
    expect(seen).toHaveLength(1);
    expect(other).toHaveBeenCalledTimes(2);
    warning.mockRestore();
  });

  it('emits status:changed with the snapshot, and snapshot:taken on every sample', async () => {
    const { monitor, sampler } = scripted();
    const events: HealthStatusChangedEvent[] = [];
    monitor.on('status:changed', (e) => events.push(e));
    const taken = vi.fn();
    monitor.on('snapshot:taken', taken);
    await monitor.refresh();
    sampler.delay(1000);
    await monitor.refresh();
    expect(taken).toHaveBeenCalledTimes(2);
    expect(events).toHaveLength(1);
    expect(events[0]?.snapshot.eventLoopDelay.p99).toBe(1000);
    expect(events[0]?.snapshot.status).toBe('critical');
  });

  it('returns fresh JSON-safe snapshots that survive a round trip', async () => {
    const { monitor } = scripted({
      checks: [{ name: 'db', check: async () => ({ status: 'degraded', message: 'slow' }) }],
    });
    const before = monitor.snapshot();
    expect(before).toMatchObject({ status: 'healthy', at: 0, samples: 0, checks: {}, shuttingDown: false });
    const snapshot = await monitor.refresh();
    expect(snapshot.checks).toEqual({
      db: { status: 'degraded', latencyMs: expect.any(Number), message: 'slow' },
    });
    expect(snapshot.at).toBeGreaterThan(0);
    expect(JSON.parse(JSON.stringify(snapshot))).toEqual(snapshot);
    const a = monitor.stats();
    (a.reasons as string[]).push('mutated');
    (a.checks as Record<string, unknown>).x = 1;
    expect(monitor.snapshot().reasons).toEqual(['check "db" degraded: slow']);
    expect(monitor.snapshot().checks).not.toHaveProperty('x');
    expect(monitor.stats()).toEqual(monitor.snapshot());
  });

  describe('checks', () => {
    it('counts a check status like a metric, a rejection as critical', async () => {
      let result: Promise<HealthCheckResult> = Promise.resolve({ status: 'healthy' });
      const flaky: HealthCheck = { name: 'redis', check: () => result };
      const { monitor } = scripted({ checks: [flaky], hysteresis: { recoverAfter: 1 } });
      expect((await monitor.refresh()).status).toBe('healthy');
      result = Promise.reject(new Error('ECONNREFUSED'));
      const failed = await monitor.refresh();
      expect(failed.status).toBe('critical');
      expect(failed.checks.redis).toEqual({
        status: 'critical',
        latencyMs: expect.any(Number),
        error: 'ECONNREFUSED',
      });
      expect(failed.reasons).toEqual(['check "redis" critical: ECONNREFUSED']);
      result = Promise.resolve({ status: 'healthy' });
      expect((await monitor.refresh()).status).toBe('healthy');
    });

    it('adds a check after construction, and removes it on dispose', async () => {
      const { monitor, sampler } = scripted({ hysteresis: { recoverAfter: 1 } });
      // #region addCheck
      // The memory tier shrinks when the monitor turns critical, and the cache on it is one of
      // the monitor's checks: build the monitor first, then add the check.
      const cache = new TieredCache({ tiers: [new MemoryTier({ maxEntries: 1_000, loadSignal: monitor })] });
      const registration = monitor.addCheck(cache);
      // #endregion addCheck
      sampler.next = { ...QUIET };
      expect((await monitor.refresh()).checks).toEqual({
        [cache.name]: { status: 'healthy', latencyMs: expect.any(Number) },
      });
      let result: HealthCheckResult = { status: 'critical', message: 'down' };
      monitor.addCheck({ name: 'db', check: async () => result });
      expect((await monitor.refresh()).status).toBe('critical');
      expect(() => monitor.addCheck({ name: 'db', check: async () => result })).toThrow(/check\.name/);
      expectInvalidOption(() => monitor.addCheck({ name: '' } as never), 'check.name', 'a non-empty string');
      registration[Symbol.dispose]();
      registration[Symbol.dispose](); // idempotent
      result = { status: 'healthy' };
      expect(Object.keys((await monitor.refresh()).checks)).toEqual(['db']);
      await cache.close();
    });

    it('times a hanging check out after checkTimeoutMs and aborts its signal', async () => {
      vi.useFakeTimers();
      let seenSignal: AbortSignal | undefined;
      const hanging: HealthCheck = {
        name: 'hangs',
        check: (signal) => {
          seenSignal = signal;
          return new Promise(() => {});
        },
      };
      const fast: HealthCheck = { name: 'fast', check: async () => ({ status: 'healthy' }) };
      const { monitor } = scripted({ checks: [hanging, fast], checkTimeoutMs: 250 });
      const pending = monitor.refresh();
      const joined = monitor.refresh(); // joins the tick in flight
      await vi.advanceTimersByTimeAsync(250);
      const snapshot = await pending;
      expect(await joined).toEqual(snapshot);
      expect(snapshot.checks.hangs).toEqual({
        status: 'critical',
        latencyMs: 250,
        error: 'health check "hangs" timed out after 250 ms',
      });
      expect(snapshot.checks.fast?.status).toBe('healthy');
      expect(seenSignal?.aborted).toBe(true);
      expect(isLoadstoneError(seenSignal?.reason, 'ERR_LOADSTONE_TIMEOUT')).toBe(true);
      expect(snapshot.status).toBe('critical');
    });

    it('treats a synchronous throw or a malformed result as critical', async () => {
      const throws: HealthCheck = {
        name: 'throws',
        check: () => {
          throw new Error('sync');
        },
      };
      const malformed = { name: 'bad', check: async () => ({ status: 'fine' }) } as unknown as HealthCheck;
      const { monitor } = scripted({ checks: [throws, malformed] });
      const s = await monitor.refresh();
      expect(s.checks.throws).toMatchObject({ status: 'critical', error: 'sync' });
      expect(s.checks.bad).toMatchObject({
        status: 'critical',
        error: 'returned [object Object], not a HealthCheckResult',
      });
    });

    it('aborts running checks with ClosedError on close', async () => {
      let seenSignal: AbortSignal | undefined;
      const hanging: HealthCheck = {
        name: 'hangs',
        check: (signal) => {
          seenSignal = signal;
          return new Promise(() => {});
        },
      };
      const { monitor } = scripted({ checks: [hanging], checkTimeoutMs: HOUR });
      const pending = monitor.refresh();
      await vi.waitFor(() => expect(seenSignal).toBeDefined());
      const changed = vi.fn();
      monitor.on('status:changed', changed);
      await monitor.close();
      expect(seenSignal?.reason).toBeInstanceOf(ClosedError);
      // The aborted checks are not this process's fault: no sample is recorded from them.
      expect(await pending).toMatchObject({ samples: 0, status: 'healthy', checks: {} });
      expect(changed).not.toHaveBeenCalled();
    });
  });

  it('is a HealthCheck of its own status', async () => {
    const { monitor, sampler } = scripted({ name: 'api' });
    expect(monitor.name).toBe('api');
    expect(await monitor.check()).toMatchObject({ status: 'healthy', message: 'api is healthy' });
    sampler.delay(350);
    await monitor.refresh();
    const result = await monitor.check();
    expect(result).toMatchObject({
      status: 'critical',
      message: 'event loop delay p99 350 ms >= 300 ms (critical)',
      details: { eventLoopDelayP99Ms: 350, shuttingDown: false },
    });
    const aborted = AbortSignal.abort(new Error('stop'));
    await expect(monitor.check(aborted)).rejects.toThrow('stop');
  });

  describe('lifecycle', () => {
    it('close() stops the timer, disposes the sampler it made, and is idempotent', async () => {
      // #region processSampler
      const sampler = new ProcessSampler({ eventLoopResolutionMs: 20 });
      const first = sampler.sample(); // covers the time since construction
      sampler[Symbol.dispose](); // stops the event-loop delay histogram
      // #endregion processSampler
      expect(first.heapLimitBytes).toBeGreaterThan(first.heapUsedBytes);
      expect(first.eventLoopUtilization).toBeGreaterThanOrEqual(0);

      const { monitor, sampler: scriptedSampler } = scripted();
      const began = vi.fn();
      monitor.on('shutdown:began', began);
      const closing = monitor.close();
      expect(monitor.closed).toBe(true);
      expect(monitor.isShuttingDown).toBe(true);
      await Promise.all([closing, monitor.close(), monitor[Symbol.asyncDispose]()]);
      expect(began).toHaveBeenCalledTimes(1);
      expect(scriptedSampler.disposed).toBe(false); // the caller's sampler is the caller's to dispose
      await expect(monitor.refresh()).rejects.toBeInstanceOf(ClosedError);
      expect(monitor.snapshot().shuttingDown).toBe(true);
    });

    it('close() with an aborted signal destroys and rejects with its reason', async () => {
      const { monitor } = scripted();
      await expect(monitor.close({ signal: AbortSignal.abort(new Error('hurry')) })).rejects.toThrow('hurry');
      expect(monitor.closed).toBe(true);
    });

    it('beginShutdown() emits once and flags snapshots', () => {
      const { monitor } = scripted();
      const began = vi.fn();
      monitor.on('shutdown:began', began);
      monitor.beginShutdown();
      monitor.beginShutdown();
      expect(began).toHaveBeenCalledTimes(1);
      expect(began.mock.calls[0]?.[0]).toEqual({ at: expect.any(Number) });
      expect(monitor.snapshot().shuttingDown).toBe(true);
      expect(monitor.closed).toBe(false);
    });
  });

  describe('handlers (real HTTP on 127.0.0.1)', () => {
    it('liveness answers 200 whatever the status; readiness 503 while critical and once shutting down', async () => {
      const { monitor, sampler } = scripted({ hysteresis: { recoverAfter: 1 } });
      const live = monitor.livenessHandler();
      const ready = monitor.readinessHandler({ detail: true });
      const url = await serve((req, res) => (req.url === '/live' ? live(req, res) : ready(req, res)));
      const get = async (path: string, method = 'GET') => {
        const r = await fetch(url + path, { method });
        return {
          status: r.status,
          type: r.headers.get('content-type'),
          body: await r.text(),
          cache: r.headers.get('cache-control'),
        };
      };

      let r = await get('/ready');
      expect(r).toMatchObject({ status: 200, type: 'application/json; charset=utf-8', cache: 'no-store' });
      expect(JSON.parse(r.body)).toMatchObject({ ready: true, status: 'healthy', shuttingDown: false });

      sampler.delay(150);
      await monitor.refresh();
      expect(JSON.parse((await get('/ready')).body)).toMatchObject({ ready: true, status: 'degraded' });

      sampler.delay(400);
      await monitor.refresh();
      r = await get('/ready');
      expect(r.status).toBe(503);
      expect(JSON.parse(r.body)).toMatchObject({
        ready: false,
        status: 'critical',
        reasons: ['event loop delay p99 400 ms >= 300 ms (critical)'],
      });
      r = await get('/live');
      expect(r.status).toBe(200);
      expect(JSON.parse(r.body)).toMatchObject({
        alive: true,
        status: 'critical',
        shuttingDown: false,
        pid: process.pid,
      });

      sampler.delay(1);
      await monitor.refresh();
      expect((await get('/ready')).status).toBe(200);
      monitor.beginShutdown();
      r = await get('/ready');
      expect(r.status).toBe(503);
      expect(JSON.parse(r.body)).toMatchObject({ ready: false, status: 'healthy', shuttingDown: true });
      expect((await get('/live')).status).toBe(200);
      const head = await get('/ready', 'HEAD');
      expect(head).toMatchObject({ status: 503, body: '' });
    });

    it('readiness follows unreadyFrom: degraded, or never (shutdown still counts)', async () => {
      const { monitor, sampler } = scripted();
      const early = monitor.readinessHandler({ unreadyFrom: 'degraded' });
      const never = monitor.readinessHandler({ unreadyFrom: false });
      const url = await serve((req, res) => (req.url === '/early' ? early(req, res) : never(req, res)));
      sampler.delay(150);
      await monitor.refresh();
      expect((await fetch(`${url}/early`)).status).toBe(503);
      expect((await fetch(`${url}/never`)).status).toBe(200);
      sampler.delay(1000);
      await monitor.refresh();
      expect((await fetch(`${url}/never`)).status).toBe(200);
      monitor.beginShutdown();
      expect((await fetch(`${url}/never`)).status).toBe(503);
      expectInvalidOption(
        () => monitor.readinessHandler({ unreadyFrom: 'healthy' as never }),
        'options.unreadyFrom',
        'one of',
      );
    });

    it('readiness says only ready, status, shuttingDown (and a 503’s reasons) unless detail is asked for', async () => {
      const { monitor, sampler } = scripted({ hysteresis: { recoverAfter: 1 } });
      const url = await serve(monitor.readinessHandler());
      sampler.delay(400);
      await monitor.refresh();
      const r = await fetch(url);
      expect(r.status).toBe(503);
      expect(await r.json()).toEqual({
        ready: false,
        status: 'critical',
        shuttingDown: false,
        reasons: ['event loop delay p99 400 ms >= 300 ms (critical)'],
      });
      expectInvalidOption(
        () => monitor.readinessHandler({ detail: 'yes' as never }),
        'options.detail',
        'a boolean',
      );
    });

    it('readiness answers 503 after close()', async () => {
      const { monitor } = scripted();
      const url = await serve(monitor.readinessHandler());
      await monitor.close();
      expect((await fetch(url)).status).toBe(503);
    });

    it('sheds with 503 and Retry-After while critical, never the health paths nor the allow-list', async () => {
      const { monitor, sampler } = scripted({ hysteresis: { recoverAfter: 1 } });
      // #region loadShedding
      const shed = monitor.loadShedding({
        allow: ['/admin', '/metrics'], // or a predicate: (req) => req.headers['x-priority'] === 'high'
        retryAfterSeconds: 10,
      });
      const app = (req: IncomingMessage, res: ServerResponse) =>
        shed(req, res, (error) => {
          res.statusCode = error === undefined ? 200 : 500;
          res.end('served');
        });
      // #endregion loadShedding
      const url = await serve(app);
      expect((await fetch(`${url}/orders`)).status).toBe(200);
      sampler.delay(150);
      await monitor.refresh();
      expect((await fetch(`${url}/orders`)).status).toBe(200); // degraded is not shed by default

      sampler.delay(400);
      await monitor.refresh();
      const refused = await fetch(`${url}/orders?id=1`);
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBe('10');
      expect(await refused.text()).toBe('Service Unavailable\n');
      for (const path of ['/ready', '/healthz?verbose', '/live', '/admin', '/admin/users', '/metrics']) {
        expect((await fetch(url + path)).status, path).toBe(200);
      }
      expect((await fetch(`${url}/administrator`)).status).toBe(503);
      expect(monitor.snapshot().shedRequests).toBe(2);

      sampler.delay(1);
      await monitor.refresh();
      expect((await fetch(`${url}/orders`)).status).toBe(200);
    });

    it('sheds from degraded with shedFrom, consults an allow predicate, sends its error to next', async () => {
      const { monitor, sampler } = scripted();
      const shed = monitor.loadShedding({
        shedFrom: 'degraded',
        allow: (req) => {
          if (req.headers['x-boom'] !== undefined) throw new Error('allow failed');
          return req.headers['x-priority'] === 'high';
        },
        healthPaths: ['/status'],
      });
      const url = await serve((req, res) =>
        shed(req, res, (error) => {
          res.statusCode = error === undefined ? 200 : 500;
          res.end(error === undefined ? 'served' : (error as Error).message);
        }),
      );
      sampler.delay(150);
      await monitor.refresh();
      const shedOne = await fetch(`${url}/x`);
      expect(shedOne.status).toBe(503);
      expect(shedOne.headers.get('retry-after')).toBe('5');
      expect((await fetch(`${url}/x`, { headers: { 'x-priority': 'high' } })).status).toBe(200);
      expect((await fetch(`${url}/status`)).status).toBe(200);
      expect((await fetch(`${url}/ready`)).status).toBe(503); // custom healthPaths replace the defaults
      const boom = await fetch(`${url}/x`, { headers: { 'x-boom': '1' } });
      expect(boom.status).toBe(500);
      expect(await boom.text()).toBe('allow failed');
    });
  });

  it('validates its options', () => {
    const cases: [unknown, string, string][] = [
      [{ intervalMs: 0 }, 'options.intervalMs', 'an integer from 1'],
      [{ intervalMs: 1.5 }, 'options.intervalMs', 'an integer from 1'],
      [{ checkTimeoutMs: 0 }, 'options.checkTimeoutMs', 'an integer from 1'],
      [{ name: '' }, 'options.name', 'a non-empty string'],
      [{ thresholds: 5 }, 'options.thresholds', 'an object'],
      [{ thresholds: { lag: { critical: 1 } } }, 'options.thresholds.lag', 'absent: the metrics are'],
      [
        { thresholds: { rssMb: {} } },
        'options.thresholds.rssMb',
        'an object with `degraded` and/or `critical`',
      ],
      [{ thresholds: { rssMb: true } }, 'options.thresholds.rssMb', 'an object with'],
      [
        { thresholds: { rssMb: { critical: -1 } } },
        'options.thresholds.rssMb.critical',
        'a finite number >= 0',
      ],
      [{ thresholds: { rssMb: { warn: 1 } } }, 'options.thresholds.rssMb.warn', 'absent: the levels are'],
      [
        { thresholds: { cpuPercent: { degraded: 90, critical: 80 } } },
        'options.thresholds.cpuPercent.degraded',
        'a finite number <= `options.thresholds.cpuPercent.critical` (80)',
      ],
      [{ hysteresis: { recoverAfter: 0 } }, 'options.hysteresis.recoverAfter', 'an integer >= 1'],
      [{ hysteresis: { enterAfter: 0 } }, 'options.hysteresis.enterAfter', 'an integer >= 1'],
      [{ hysteresis: { margin: 1 } }, 'options.hysteresis.margin', 'a finite number >= 0 and < 1'],
      [{ hysteresis: { margin: -0.1 } }, 'options.hysteresis.margin', 'a finite number >= 0'],
      [{ hysteresis: { cooldown: 1 } }, 'options.hysteresis.cooldown', 'absent: the hysteresis options'],
      [{ checks: {} }, 'options.checks', 'an array of HealthCheck'],
      [{ checks: [null] }, 'options.checks[0]', 'a HealthCheck'],
      [{ checks: [{ name: '', check: async () => ({}) }] }, 'options.checks[0].name', 'a non-empty string'],
      [{ checks: [{ name: 'a' }] }, 'options.checks[0].check', 'a function'],
      [
        {
          checks: [
            { name: 'a', check: async () => ({}) },
            { name: 'a', check: async () => ({}) },
          ],
        },
        'options.checks[1].name',
        'a name no other check has',
      ],
      [{ sampler: {} }, 'options.sampler.sample', 'a function'],
      [{ clock: {} }, 'options.clock', 'a Clock'],
      [{ sampleInterval: 1000 }, 'options.sampleInterval', 'absent: use `options.intervalMs`'],
      [
        { maxEventLoopDelay: 100 },
        'options.maxEventLoopDelay',
        'absent: use `options.thresholds.eventLoopDelayMs`',
      ],
      [{ bogus: 1 }, 'options.bogus', 'absent: it is not an option of HealthMonitor'],
      ['fast', 'options', 'an object'],
    ];
    for (const [options, option, expected] of cases) {
      expectInvalidOption(() => new HealthMonitor(options as HealthMonitorOptions), option, expected);
    }
    const { monitor } = scripted();
    expectInvalidOption(
      () => monitor.loadShedding({ retryAfterSeconds: -1 }),
      'options.retryAfterSeconds',
      'an integer >= 0',
    );
    expectInvalidOption(
      () => monitor.loadShedding({ shedFrom: 'healthy' as never }),
      'options.shedFrom',
      'one of',
    );
    expectInvalidOption(
      () => monitor.loadShedding({ allow: ['admin'] }),
      'options.allow[0]',
      'a path starting with `/`',
    );
    expectInvalidOption(
      () => monitor.loadShedding({ healthPaths: '/x' as never }),
      'options.healthPaths',
      'an array',
    );
    expectInvalidOption(() => monitor.subscribe(5 as never), 'listener', 'a function');
    expectInvalidOption(
      () => new ProcessSampler({ eventLoopResolutionMs: 0 }),
      'options.eventLoopResolutionMs',
      'an integer >= 1',
    );
  });

  it('lets a test drive it through the sampler seam', async () => {
    // #region sampler
    const quiet: HealthSample = {
      eventLoopDelay: { p50: 1, p99: 2, max: 3, mean: 1 },
      eventLoopUtilization: 0.1,
      heapUsedBytes: 50e6,
      heapLimitBytes: 2e9,
      rssBytes: 120e6,
      cpuPercent: 5,
    };
    let next = quiet;
    const monitor = new HealthMonitor({ sampler: { sample: () => next }, intervalMs: 60_000 });
    next = { ...quiet, eventLoopDelay: { p50: 2, p99: 450, max: 480, mean: 20 } };
    const snapshot = await monitor.refresh(); // samples now instead of waiting for the timer
    // snapshot.status === 'critical'
    // #endregion sampler
    monitors.push(monitor);
    expect(snapshot.status).toBe('critical');
  });
});
