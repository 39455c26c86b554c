// The Express middleware on a real listening Express 5 app over 127.0.0.1.
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { expectInvalidOption } from '../../test/helpers/expectInvalidOption.js';
import { scripted } from '../../test/helpers/scriptedMonitor.js';
import { until } from '../../test/helpers/until.js';
import { HealthMonitor } from '../health/index.js';
import { RateLimiter } from '../resilience/index.js';
import { FakeClock } from '../testing/index.js';
import { closeOnShutdown, healthRoutes, loadShedding, rateLimit } from './index.js';

const servers: Server[] = [];
const monitors: HealthMonitor[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    server.close();
  }
  await Promise.all(monitors.splice(0).map((m) => m.close()));
});

async function listen(app: express.Express): Promise<{ server: Server; url: string }> {
  const server = app.listen(0, '127.0.0.1');
  servers.push(server);
  await once(server, 'listening');
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

// Type-checked here and run by the first test.
async function example(limiter: RateLimiter, cache: { close(): Promise<void> }) {
  // #region express
  const app = express();
  const health = healthRoutes(); // GET /live, /ready, /health; health.monitor to add checks to
  app.use(health);
  app.use(loadShedding(health)); // 503 + Retry-After while critical; never the probes
  app.use(rateLimit(limiter)); // per client address, by the app's `trust proxy`
  app.get('/api', (_req, res) => void res.json({ ok: true }));
  const server = app.listen(3000);
  // On SIGTERM: readiness 503 at once, drain, close the cache, then the monitor; exit.
  closeOnShutdown(server, { monitor: health.monitor, close: [cache] });
  // #endregion express
  return { app, health, server };
}

describe('loadstone/express', () => {
  it('serves probes, sheds and rate-limits with three use lines', async () => {
    const limiter = new RateLimiter({ limit: 2, periodMs: 60_000 });
    const health = healthRoutes();
    monitors.push(health.monitor);
    const app = express();
    app.use(health);
    app.use(loadShedding(health));
    app.use(rateLimit(limiter));
    app.get('/api', (_req, res) => void res.json({ ok: true }));
    const { url } = await listen(app);
    for (const path of ['/live', '/ready', '/health']) expect((await fetch(url + path)).status).toBe(200);
    expect(await (await fetch(`${url}/ready`)).json()).toEqual({
      ready: true,
      status: 'healthy',
      shuttingDown: false,
    });
    const first = await fetch(`${url}/api`);
    expect([first.status, first.headers.get('ratelimit'), first.headers.get('ratelimit-policy')]).toEqual([
      200,
      '"default";r=1;t=30',
      '"default";q=2;w=60',
    ]);
    await fetch(`${url}/api`);
    const refused = await fetch(`${url}/api`);
    expect([refused.status, refused.headers.get('retry-after'), await refused.text()]).toEqual([
      429,
      '30',
      'Too Many Requests\n',
    ]);
    // The probes answer before the limit: never counted, never refused.
    expect((await fetch(`${url}/live`)).status).toBe(200);
    expect(typeof example).toBe('function');
  });

  it('answers HEAD without a body, passes other methods and paths on, and moves or leaves out probes', async () => {
    const health = healthRoutes({ live: '/livez', ready: '/readyz', health: false });
    monitors.push(health.monitor);
    expect(health.paths).toEqual(['/livez', '/readyz']);
    const app = express();
    app.use(health);
    app.post('/livez', (_req, res) => void res.send('posted'));
    const { url } = await listen(app);
    const head = await fetch(`${url}/readyz`, { method: 'HEAD' });
    expect([head.status, await head.text()]).toEqual([200, '']);
    expect((await fetch(`${url}/livez?x=1`)).status).toBe(200);
    expect(await (await fetch(`${url}/livez`, { method: 'POST' })).text()).toBe('posted');
    expect((await fetch(`${url}/health`)).status).toBe(404);
    expect((await fetch(`${url}/live`)).status).toBe(404);
  });

  it('answers 503 with reasons when a check throws, without the check’s error text; liveness stays 200', async () => {
    const monitor = new HealthMonitor({
      intervalMs: 3_600_000,
      checks: [
        {
          name: 'db',
          check: async () => {
            throw new Error('connect ECONNREFUSED 10.0.0.7:5432 password=hunter2');
          },
        },
      ],
    });
    monitors.push(monitor);
    await monitor.refresh();
    const app = express();
    app.use(healthRoutes({ monitor }));
    const { url } = await listen(app);
    const ready = await fetch(`${url}/ready`);
    const body = (await ready.json()) as { reasons: string[] };
    expect(ready.status).toBe(503);
    expect(body).toEqual({
      ready: false,
      status: 'critical',
      shuttingDown: false,
      reasons: ['check "db" critical'],
    });
    expect(JSON.stringify(body)).not.toContain('10.0.0.7');
    expect((await fetch(`${url}/live`)).status).toBe(200);
    monitor.beginShutdown();
    expect(((await (await fetch(`${url}/ready`)).json()) as { reasons: string[] }).reasons).toEqual([
      'shutting down',
      'check "db" critical',
    ]);
  });

  it('sheds everything but the probes and allowed paths while critical', async () => {
    const { monitor, sampler } = scripted();
    const health = healthRoutes({ monitor, live: '/k8s/live' });
    const app = express();
    app.use(loadShedding(health, { retryAfterSeconds: 7, allow: ['/admin'] })); // before the probes, even
    app.use(health);
    app.get('/api', (_req, res) => void res.send('ok'));
    app.get('/admin', (_req, res) => void res.send('admin'));
    app.get('/healthz', (_req, res) => void res.send('own probe'));
    const { url } = await listen(app);
    expect((await fetch(`${url}/api`)).status).toBe(200);
    sampler.delay(400);
    await monitor.refresh();
    const refused = await fetch(`${url}/api`);
    expect([refused.status, refused.headers.get('retry-after')]).toEqual([503, '7']);
    expect((await fetch(`${url}/k8s/live`)).status).toBe(200); // the probe's own path
    expect(await (await fetch(`${url}/healthz`)).text()).toBe('own probe'); // the usual probe paths
    expect(await (await fetch(`${url}/admin`)).text()).toBe('admin');
    expect((await fetch(`${url}/ready`)).status).toBe(503); // served by the probes: not ready
    // Given the monitor alone, the usual probe paths are exempt.
    const bare = express();
    bare.use(loadShedding(monitor));
    bare.get('/live', (_req, res) => void res.send('alive'));
    bare.get('/api', (_req, res) => void res.send('ok'));
    const other = await listen(bare);
    expect(await (await fetch(`${other.url}/live`)).text()).toBe('alive');
    expect((await fetch(`${other.url}/api`)).status).toBe(503);
  });

  it('sends a throwing key to Express’s error handler: 500, logged, never let through', async () => {
    const limiter = new RateLimiter({ limit: 100, periodMs: 1_000 });
    const app = express();
    app.set('env', 'development'); // Express logs the error outside 'test'
    const logged = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    app.use(
      rateLimit(limiter, {
        key: () => {
          throw new Error('no session');
        },
      }),
    );
    let reached = false;
    app.get('/api', (_req, res) => {
      reached = true;
      res.send('ok');
    });
    const { url } = await listen(app);
    const answer = await fetch(`${url}/api`);
    expect(answer.status).toBe(500);
    expect(reached).toBe(false);
    expect(String(logged.mock.calls[0]?.[0])).toContain('no session');
    logged.mockRestore();
  });

  it('keys by req.ip: a trusted proxy’s X-Forwarded-For separates clients; skip paths are not counted', async () => {
    const clock = new FakeClock();
    const limiter = new RateLimiter({ limit: 1, periodMs: 60_000, clock });
    const app = express();
    app.set('trust proxy', 'loopback');
    app.use(rateLimit(limiter, { skip: ['/public'], headers: 'legacy' }));
    app.get('/api', (_req, res) => void res.send('ok'));
    app.get('/public/logo', (_req, res) => void res.send('logo'));
    const { url } = await listen(app);
    const as = (client: string, path = '/api') =>
      fetch(url + path, { headers: { 'x-forwarded-for': client } });
    expect((await as('203.0.113.1')).status).toBe(200);
    expect((await as('203.0.113.1')).status).toBe(429);
    expect((await as('203.0.113.2')).status).toBe(200);
    // One IPv6 customer's /56 shares a limit: another address in it is refused, another /56 is not.
    expect((await as('2001:db8:1:100::1')).status).toBe(200);
    expect((await as('2001:db8:1:1ff::2')).status).toBe(429);
    expect((await as('2001:db8:1:200::1')).status).toBe(200);
    for (let i = 0; i < 3; i++) expect((await as('203.0.113.1', '/public/logo')).status).toBe(200);
    const legacy = await as('203.0.113.9');
    expect(legacy.headers.get('x-ratelimit-limit')).toBe('1');
    expect([...legacy.headers.keys()].join()).not.toContain('203.0.113');
  });

  it('warns once about a proxy the app does not trust, and once about trusting every proxy', async () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    const limiter = new RateLimiter({ limit: 100, periodMs: 1_000 });
    const untrusting = express();
    untrusting.use(rateLimit(limiter));
    untrusting.get('/api', (_req, res) => void res.send('ok'));
    const a = await listen(untrusting);
    await fetch(`${a.url}/api`);
    expect(warn).not.toHaveBeenCalled();
    for (let i = 0; i < 3; i++)
      await fetch(`${a.url}/api`, { headers: { 'x-forwarded-for': '203.0.113.7' } });
    expect(warn.mock.calls.map((call) => (call[1] as { code: string }).code)).toEqual([
      'LOADSTONE_WARN_UNTRUSTED_PROXY',
    ]);
    const trusting = express();
    trusting.set('trust proxy', true);
    trusting.use(rateLimit(limiter));
    trusting.get('/api', (_req, res) => void res.send('ok'));
    const b = await listen(trusting);
    for (let i = 0; i < 3; i++) await fetch(`${b.url}/api`);
    expect(warn.mock.calls.map((call) => (call[1] as { code: string }).code)).toEqual([
      'LOADSTONE_WARN_UNTRUSTED_PROXY',
      'LOADSTONE_WARN_PERMISSIVE_TRUST_PROXY',
    ]);
    warn.mockRestore();
  });

  it('shutdown(): readiness fails, requests drain, closeables close last-first, the monitor last', async () => {
    const order: string[] = [];
    const monitor = new HealthMonitor({ intervalMs: 3_600_000 });
    const closeMonitor = monitor.close.bind(monitor);
    vi.spyOn(monitor, 'close').mockImplementation(() => {
      order.push('monitor');
      return closeMonitor();
    });
    const app = express();
    app.use(healthRoutes({ monitor }));
    app.get('/api', (_req, res) => void res.send('ok'));
    const { server, url } = await listen(app);
    const hook = closeOnShutdown(server, {
      monitor,
      signals: [],
      close: [
        { close: () => void order.push('pool') },
        {
          close: async () => {
            order.push('cache');
            throw new Error('cache would not close');
          },
        },
        { close: () => void order.push('queue') },
      ],
    });
    expect((await fetch(`${url}/api`)).status).toBe(200);
    expect(hook.shuttingDown).toBe(false);
    const report = hook.shutdown();
    expect(hook.shuttingDown).toBe(true);
    expect(monitor.isShuttingDown).toBe(true);
    const done = await report;
    expect(order).toEqual(['queue', 'cache', 'pool', 'monitor']);
    expect(done.requestsCut).toBe(0);
    expect(done.failures.map(String)).toEqual(['Error: cache would not close']);
    expect(await hook.shutdown()).toBe(done); // idempotent
    expect(server.listening).toBe(false);
  });

  it('cuts requests still running at the timeout, and gives up on a closeable that hangs', async () => {
    const app = express();
    app.get('/hang', () => undefined); // never answers
    const { server, url } = await listen(app);
    const hook = closeOnShutdown(server, {
      signals: [],
      timeoutMs: 200,
      close: [{ close: () => new Promise(() => undefined) }],
    });
    const hung = fetch(`${url}/hang`).catch((error: unknown) => error);
    while (
      server.listening &&
      (await new Promise<number>((r) => server.getConnections((_e, n) => r(n)))) === 0
    ) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const report = await hook.shutdown();
    expect(report.requestsCut).toBe(1);
    expect(report.failures).toHaveLength(1);
    expect(report.failures[0]).toMatchObject({ code: 'ERR_LOADSTONE_TIMEOUT' });
    expect(await hung).toBeInstanceOf(Error); // its connection was destroyed
  });

  it('starts on the signals it was given, and no longer after remove()', async () => {
    const server = express().listen(0, '127.0.0.1');
    servers.push(server);
    await once(server, 'listening');
    const before = process.listenerCount('SIGUSR2');
    const hook = closeOnShutdown(server, { signals: ['SIGUSR2'], exit: false });
    expect(process.listenerCount('SIGUSR2')).toBe(before + 1);
    hook.remove();
    expect(process.listenerCount('SIGUSR2')).toBe(before);
    const again = closeOnShutdown(server, { signals: ['SIGUSR2'], exit: false });
    // Emitted, not sent: a real signal reaches only the main thread, and a test may run in a worker.
    process.emit('SIGUSR2', 'SIGUSR2');
    while (!again.shuttingDown) await new Promise((resolve) => setTimeout(resolve, 5));
    expect((await again.shutdown()).failures).toEqual([]);
    again.remove();
  });

  it('waits delayMs before it stops accepting, and reports how long it took', async () => {
    const app = express();
    app.get('/api', (_req, res) => void res.send('ok'));
    const { server } = await listen(app);
    const monitor = new HealthMonitor({ intervalMs: 3_600_000 });
    monitors.push(monitor);
    const hook = closeOnShutdown(server, { monitor, signals: [], delayMs: 150 });
    const began = performance.now();
    const report = hook.shutdown();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect([monitor.isShuttingDown, server.listening]).toEqual([true, true]); // not ready, still serving
    const done = await report;
    const elapsed = performance.now() - began;
    expect(server.listening).toBe(false);
    expect(done.durationMs).toBeGreaterThanOrEqual(140);
    expect(done.durationMs).toBeLessThanOrEqual(elapsed + 1);
  });

  it('gives a slow closeable its share of the budget', async () => {
    const { server } = await listen(express());
    const slow = { close: () => new Promise<void>((resolve) => setTimeout(resolve, 60)) };
    const done = await closeOnShutdown(server, { signals: [], timeoutMs: 5_000, close: [slow] }).shutdown();
    expect(done.failures).toEqual([]);
  });

  it('on a signal: warns about what failed and exits 1, or exits 0; a second signal exits at once', async () => {
    const exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      const clean = closeOnShutdown((await listen(express())).server, { signals: ['SIGUSR2'] });
      process.emit('SIGUSR2', 'SIGUSR2');
      await until(() => exit.mock.calls.length > 0);
      clean.remove();
      expect(exit.mock.calls).toEqual([[0]]);
      expect(warn).not.toHaveBeenCalled();

      exit.mockClear();
      const failing = { close: () => Promise.reject(new Error('pool stuck')) };
      const hook = closeOnShutdown((await listen(express())).server, {
        signals: ['SIGUSR2'],
        close: [failing],
      });
      process.emit('SIGUSR2', 'SIGUSR2');
      process.emit('SIGUSR2', 'SIGUSR2'); // the impatient second Ctrl-C
      expect(exit.mock.calls).toEqual([[1]]);
      await until(() => exit.mock.calls.length > 1);
      hook.remove();
      expect(exit.mock.calls).toEqual([[1], [1]]);
      expect(
        warn.mock.calls.map(([message, options]) => [String(message), (options as { code: string }).code]),
      ).toEqual([['Shutdown: Error: pool stuck', 'LOADSTONE_WARN_SHUTDOWN_FAILED']]);
    } finally {
      exit.mockRestore();
      warn.mockRestore();
    }
  });

  it('on a signal: warns when requests were cut at the timeout', async () => {
    const exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      const app = express();
      app.get('/hang', () => undefined);
      const { server, url } = await listen(app);
      const hook = closeOnShutdown(server, { signals: ['SIGUSR2'], timeoutMs: 100 });
      const hung = fetch(`${url}/hang`).catch(() => undefined);
      while ((await new Promise<number>((r) => server.getConnections((_e, n) => r(n)))) === 0) {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      process.emit('SIGUSR2', 'SIGUSR2');
      await until(() => exit.mock.calls.length > 0);
      hook.remove();
      await hung;
      expect(exit.mock.calls).toEqual([[1]]);
      expect(warn.mock.calls.map(([message]) => String(message))).toEqual([
        'Shutdown: 1 requests cut at the timeout',
      ]);
    } finally {
      exit.mockRestore();
      warn.mockRestore();
    }
  });

  it('listens to SIGTERM and SIGINT by default', async () => {
    const { server } = await listen(express());
    const before = [process.listenerCount('SIGTERM'), process.listenerCount('SIGINT')];
    const hook = closeOnShutdown(server, { exit: false });
    expect([process.listenerCount('SIGTERM'), process.listenerCount('SIGINT')]).toEqual(
      before.map((n) => n + 1),
    );
    hook.remove();
    expect([process.listenerCount('SIGTERM'), process.listenerCount('SIGINT')]).toEqual(before);
  });

  it('rate-limits by cost, names its policy, and keeps whole IPv6 addresses with ipv6Subnet: false', async () => {
    const limiter = new RateLimiter({ limit: 3, periodMs: 60_000, clock: new FakeClock() });
    const app = express();
    app.set('trust proxy', 'loopback');
    app.use(
      rateLimit(limiter, { cost: (req) => (req.url === '/heavy' ? 2 : 1), policy: 'api', ipv6Subnet: false }),
    );
    app.get('/heavy', (_req, res) => void res.send('ok'));
    app.get('/light', (_req, res) => void res.send('ok'));
    const { url } = await listen(app);
    const as = (client: string, path: string) =>
      fetch(url + path, { headers: { 'x-forwarded-for': client } });
    const heavy = await as('2001:db8::1', '/heavy');
    expect([heavy.status, heavy.headers.get('ratelimit-policy')]).toEqual([200, '"api";q=3;w=60']);
    expect((await as('2001:db8::1', '/heavy')).status).toBe(429); // 2 + 2 > 3
    expect((await as('2001:db8::1', '/light')).status).toBe(200);
    expect((await as('2001:db8::2', '/heavy')).status).toBe(200); // another address, another limit
  });

  it('refuses bad options with coded errors at the call', () => {
    const limiter = new RateLimiter({ limit: 1, periodMs: 1_000 });
    const monitor = new HealthMonitor();
    monitors.push(monitor);
    expectInvalidOption(() => healthRoutes({ live: 'live' }), 'options.live', 'a path');
    expectInvalidOption(() => healthRoutes({ live: '/x', ready: '/x' }), 'options.ready', 'a path no other');
    expectInvalidOption(
      () => healthRoutes({ monitor: {} as HealthMonitor }),
      'options.monitor',
      'a HealthMonitor',
    );
    expectInvalidOption(() => healthRoutes({ liveness: '/x' } as never), 'options.liveness', '');
    expectInvalidOption(() => loadShedding({} as HealthMonitor), 'health', 'the healthRoutes');
    expectInvalidOption(
      () => loadShedding(monitor, { retryAfterSeconds: -1 }),
      'options.retryAfterSeconds',
      '',
    );
    expectInvalidOption(() => rateLimit({} as RateLimiter), 'limiter', 'a RateLimiter');
    expectInvalidOption(() => rateLimit(limiter, { ipv6Subnet: 0 }), 'options.ipv6Subnet', 'an integer');
    expectInvalidOption(() => rateLimit(limiter, { ipv6Subnet: 129 }), 'options.ipv6Subnet', 'an integer');
    expectInvalidOption(() => rateLimit(limiter, { skip: ['api'] }), 'options.skip[0]', 'a path');
    expectInvalidOption(() => rateLimit(limiter, { headers: 'draft-9' as never }), 'options.headers', '');
    expectInvalidOption(() => rateLimit(limiter, { windowMs: 1 } as never), 'options.windowMs', '');
    const server = express().listen(0, '127.0.0.1');
    servers.push(server);
    expectInvalidOption(() => closeOnShutdown({} as Server), 'server', 'a node:http');
    expectInvalidOption(
      () => closeOnShutdown(server, { close: [{}] as never }),
      'options.close[0]',
      'an object',
    );
    expectInvalidOption(
      () => closeOnShutdown(server, { signals: ['TERM'] as never }),
      'options.signals[0]',
      'a signal name',
    );
    expectInvalidOption(() => closeOnShutdown(server, { timeoutMs: 0 }), 'options.timeoutMs', '');
    expectInvalidOption(() => closeOnShutdown(server, { delayMs: -1 }), 'options.delayMs', '');
    expectInvalidOption(() => closeOnShutdown(server, { exit: 'yes' } as never), 'options.exit', '');
    expectInvalidOption(() => closeOnShutdown({ close: () => undefined } as never), 'server', 'a node:http');
    expectInvalidOption(
      () => closeOnShutdown(server, { monitor: {} as never }),
      'options.monitor',
      'a HealthMonitor',
    );
    expectInvalidOption(() => closeOnShutdown(server, { close: {} as never }), 'options.close', 'an array');
    expectInvalidOption(
      () => closeOnShutdown(server, { signals: 'SIGTERM' as never }),
      'options.signals',
      'an array',
    );
    for (const signal of ['XSIGTERM', 'SIGTERM!', 'sigterm'])
      expectInvalidOption(
        () => closeOnShutdown(server, { signals: [signal as never] }),
        'options.signals[0]',
        'a signal',
      );
    expectInvalidOption(() => closeOnShutdown(server, { keepAliveMs: 0 }), 'options.keepAliveMs', '');
    expectInvalidOption(
      () => closeOnShutdown(server, { grace: 1 } as never),
      'options.grace',
      'absent: it is not an option of closeOnShutdown',
    );
    expectInvalidOption(() => healthRoutes({ live: 5 as never }), 'options.live', 'a path');
    expectInvalidOption(
      () => healthRoutes({ x: 1 } as never),
      'options.x',
      'absent: it is not an option of healthRoutes',
    );
    expectInvalidOption(() => healthRoutes(5 as never), 'options', '');
    expectInvalidOption(() => loadShedding(undefined as never), 'health', 'the healthRoutes');
    expectInvalidOption(() => loadShedding(monitor, 5 as never), 'options', '');
    expectInvalidOption(
      () => rateLimit(limiter, { x: 1 } as never),
      'options.x',
      'absent: it is not an option of rateLimit',
    );
    expectInvalidOption(() => rateLimit(limiter, 5 as never), 'options', '');
    expectInvalidOption(() => rateLimit(limiter, { key: 'ip' as never }), 'options.key', 'a function');
    expectInvalidOption(() => closeOnShutdown(server, 5 as never), 'options', '');
  });
});
