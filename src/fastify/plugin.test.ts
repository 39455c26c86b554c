import Fastify from 'fastify';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { scripted } from '../../test/helpers/scriptedMonitor.js';
import { RateLimiter } from '../resilience/index.js';
import { FakeClock } from '../testing/index.js';
import loadstone from './index.js';

const apps: ReturnType<typeof Fastify>[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});
function app(options?: Parameters<typeof Fastify>[0]) {
  const made = Fastify(options);
  apps.push(made);
  return made;
}

describe('the loadstone Fastify plugin', () => {
  it('serves /live, /ready and /health over a monitor of its own', async () => {
    // #region plugin
    const server = Fastify();
    await server.register(loadstone); // /live, /ready, /health
    server.get('/hello', async () => 'hi');
    // #endregion plugin
    apps.push(server);
    for (const url of ['/live', '/ready', '/health']) {
      const answer = await server.inject({ url });
      expect([url, answer.statusCode, answer.headers['content-type']]).toEqual([
        url,
        200,
        'application/json; charset=utf-8',
      ]);
    }
    expect((await server.inject({ url: '/live' })).json()).toMatchObject({ alive: true, status: 'healthy' });
    expect((await server.inject({ url: '/ready' })).json()).toEqual({
      ready: true,
      status: 'healthy',
      shuttingDown: false,
    });
    const head = await server.inject({ method: 'HEAD', url: '/ready' });
    expect([head.statusCode, head.body]).toEqual([200, '']);
    expect((await server.inject({ url: '/hello' })).body).toBe('hi');
  });

  it('moves or leaves out probes', async () => {
    const server = app();
    await server.register(loadstone, { routes: { live: '/healthz', ready: '/readyz', health: false } });
    expect((await server.inject({ url: '/healthz' })).statusCode).toBe(200);
    expect((await server.inject({ url: '/readyz' })).statusCode).toBe(200);
    expect((await server.inject({ url: '/health' })).statusCode).toBe(404);
    expect((await server.inject({ url: '/live' })).statusCode).toBe(404);
  });

  it('sheds with 503 and Retry-After while critical, never the probes or an opted-out route', async () => {
    const { monitor, sampler } = scripted();
    const server = app();
    await server.register(loadstone, { monitor, shedding: { retryAfterSeconds: 7 } });
    server.get('/api', async () => 'ok');
    server.get('/webhook', { config: { loadstone: { shed: false } } }, async () => 'kept');
    expect((await server.inject({ url: '/api' })).statusCode).toBe(200);
    sampler.delay(400);
    await monitor.refresh();
    const refused = await server.inject({ url: '/api' });
    expect([refused.statusCode, refused.headers['retry-after'], refused.body]).toEqual([
      503,
      '7',
      'Service Unavailable\n',
    ]);
    expect(refused.headers['cache-control']).toBe('no-store');
    expect((await server.inject({ url: '/webhook' })).body).toBe('kept');
    expect((await server.inject({ url: '/live' })).statusCode).toBe(200); // liveness: never shed
    expect((await server.inject({ url: '/ready' })).statusCode).toBe(503); // critical: not ready
    expect(monitor.snapshot().shedRequests).toBe(1);
  });

  it('rate-limits every route with the draft-8 fields and 429, the probes and opted-out routes never', async () => {
    const limiter = new RateLimiter({ limit: 2, periodMs: 10_000, clock: new FakeClock() });
    const server = app();
    await server.register(loadstone, { rateLimit: { limiter, key: (r) => String(r.headers['x-user']) } });
    server.get('/api', async () => 'ok');
    server.get('/free', { config: { loadstone: { rateLimit: false } } }, async () => 'free');
    const get = (url: string) => server.inject({ url, headers: { 'x-user': 'alice' } });
    const first = await get('/api');
    expect(first.headers['ratelimit-policy']).toBe('"default";q=2;w=10');
    expect(first.headers.ratelimit).toBe('"default";r=1;t=5');
    await get('/api');
    const refused = await get('/api');
    expect([refused.statusCode, refused.body, refused.headers['retry-after']]).toEqual([
      429,
      'Too Many Requests\n',
      '5',
    ]);
    expect(refused.headers.ratelimit).toBe('"default";r=0;t=5');
    expect(JSON.stringify(refused.headers)).not.toContain('alice');
    expect((await get('/free')).statusCode).toBe(200);
    for (const url of ['/live', '/ready', '/health']) expect((await get(url)).statusCode).toBe(200);
    expect((await server.inject({ url: '/api', headers: { 'x-user': 'bob' } })).statusCode).toBe(200);
  });

  it('gives a route its own limiter, cost or policy over the plugin’s', async () => {
    const clock = new FakeClock();
    const shared = new RateLimiter({ limit: 100, periodMs: 60_000, clock });
    const strict = new RateLimiter({ limit: 1, periodMs: 60_000, clock });
    const server = app();
    await server.register(loadstone, { rateLimit: { limiter: shared, key: () => 'k', headers: 'draft-6' } });
    server.get('/strict', { config: { loadstone: { rateLimit: { limiter: strict } } } }, async () => 'ok');
    server.get(
      '/heavy',
      { config: { loadstone: { rateLimit: { cost: 10, policy: 'heavy' } } } },
      async () => 'ok',
    );
    expect((await server.inject({ url: '/strict' })).statusCode).toBe(200);
    expect((await server.inject({ url: '/strict' })).statusCode).toBe(429);
    const heavy = await server.inject({ url: '/heavy' });
    expect(heavy.headers['ratelimit-remaining']).toBe('90'); // the plugin's draft-6 fields
    expect(shared.stats().allowed).toBe(1);
  });

  it('works without a plugin-wide limit, a route bringing its own', async () => {
    const only = new RateLimiter({ limit: 1, periodMs: 60_000, clock: new FakeClock() });
    const server = app();
    await server.register(loadstone);
    server.get(
      '/one',
      { config: { loadstone: { rateLimit: { limiter: only, key: () => 'k' } } } },
      async () => 1,
    );
    server.get('/many', async () => 2);
    expect((await server.inject({ url: '/one' })).statusCode).toBe(200);
    expect((await server.inject({ url: '/one' })).statusCode).toBe(429);
    for (let i = 0; i < 3; i++) expect((await server.inject({ url: '/many' })).statusCode).toBe(200);
  });

  it('sends key and limiter errors to Fastify’s error handler', async () => {
    const limiter = new RateLimiter({ limit: 5, periodMs: 1_000 });
    const server = app();
    await server.register(loadstone, {
      rateLimit: {
        limiter,
        key: () => {
          throw new Error('no key');
        },
      },
    });
    server.get('/api', async () => 'ok');
    const answer = await server.inject({ url: '/api' });
    expect([answer.statusCode, answer.json().message]).toEqual([500, 'no key']);
  });

  it('decorates the instance and closes what it was given in reverse order, then its own monitor', async () => {
    const closed: string[] = [];
    const closeable = (name: string) => ({ close: async () => void closed.push(name) });
    const server = Fastify();
    await server.register(loadstone, {
      decorate: { cache: closeable('cache'), pools: closeable('pools'), plain: {} },
    });
    expect(server.hasDecorator('cache') && server.hasDecorator('pools') && server.hasDecorator('plain')).toBe(
      true,
    );
    const own = server.healthMonitor;
    await server.close();
    expect(closed).toEqual(['pools', 'cache']);
    expect([own.isShuttingDown, own.closed]).toEqual([true, true]);
  });

  it('closes the rest when one decorated object fails to close, and rejects with that failure', async () => {
    const closed: string[] = [];
    const server = Fastify();
    await server.register(loadstone, {
      decorate: {
        first: { close: async () => void closed.push('first') },
        broken: {
          close: async () => {
            throw new Error('cannot close');
          },
        },
      },
    });
    const own = server.healthMonitor;
    await expect(server.close()).rejects.toThrow('cannot close');
    expect([closed, own.closed]).toEqual([['first'], true]);
  });

  it('leaves a monitor it was given open, and refuses bad options at register', async () => {
    const { monitor } = scripted();
    const server = Fastify();
    await server.register(loadstone, { monitor });
    expect(server.healthMonitor).toBe(monitor);
    await server.close();
    expect([monitor.closed, monitor.isShuttingDown]).toEqual([false, false]);
    const cases: [object, string][] = [
      [{ monitr: monitor }, 'options.monitr'],
      [{ monitor: {} }, 'options.monitor'],
      [{ routes: { live: 'live' } }, 'options.routes.live'],
      [{ routes: { alive: '/a' } }, 'options.routes.alive'],
      [{ rateLimit: { key: () => 'k' } }, 'options.rateLimit.limiter'],
      [
        { rateLimit: { limiter: new RateLimiter({ limit: 1, periodMs: 1 }), headers: 'x' } },
        'options.rateLimit.headers',
      ],
      [
        { rateLimit: { limiter: new RateLimiter({ limit: 1, periodMs: 1 }), hook: 'onSend' } },
        'options.rateLimit.hook',
      ],
      [{ shedding: { retryAfter: 5 } }, 'options.retryAfter'],
      [{ decorate: { x: 5 } }, 'options.decorate.x'],
    ];
    for (const [options, option] of cases) {
      const bad = app();
      await expect(bad.register(loadstone, options as never)).rejects.toMatchObject({
        code: 'ERR_LOADSTONE_INVALID_OPTION',
        option,
      });
    }
  });

  it('refuses a bad route setting when the route is added', async () => {
    const server = app();
    await server.register(loadstone);
    expect(() => server.get('/x', { config: { loadstone: { shed: true } as never } }, async () => 1)).toThrow(
      expect.objectContaining({ code: 'ERR_LOADSTONE_INVALID_OPTION', option: 'config.loadstone.shed' }),
    );
    expect(() =>
      server.get('/y', { config: { loadstone: { rateLimit: { cost: 1 } } } }, async () => 1),
    ).toThrow(expect.objectContaining({ option: 'config.loadstone.rateLimit.limiter' }));
  });

  it('declares a name and a Fastify range that Fastify 5 and 6 accept, and 4 and 7 refuse', async () => {
    const meta = (loadstone as unknown as Record<symbol, { name: string }>)[Symbol.for('plugin-meta')];
    expect(meta?.name).toBe('loadstone');
    // Fastify checks the range itself when the plugin registers, against its `version`.
    const on = async (version: string) => {
      const server = app();
      Object.defineProperty(server, 'version', { value: version });
      return server.register(loadstone).then(
        () => 'loaded',
        (error: { code?: string }) => error.code,
      );
    };
    for (const version of ['5.0.0', '5.12.8', '6.0.0', '6.4.1'])
      expect(await on(version), version).toBe('loaded');
    for (const version of ['4.28.1', '7.0.0']) {
      expect(await on(version), version).toBe('FST_ERR_PLUGIN_VERSION_MISMATCH');
    }
  });

  it('keys by request.ip with an IPv6 customer’s /64 as one client, and refuses a bad ipv6Subnet', async () => {
    const limiter = new RateLimiter({ limit: 1, periodMs: 60_000, clock: new FakeClock() });
    const server = app();
    await server.register(loadstone, { rateLimit: { limiter } });
    server.get('/api', async () => 'ok');
    const from = (remoteAddress: string) => server.inject({ url: '/api', remoteAddress });
    expect((await from('2001:db8:1:2::1')).statusCode).toBe(200);
    expect((await from('2001:db8:1:2:ffff::9')).statusCode).toBe(429); // the same /64
    expect((await from('2001:db8:1:3::1')).statusCode).toBe(200); // the next /64
    expect((await from('::ffff:203.0.113.5')).statusCode).toBe(200);
    expect((await from('203.0.113.5')).statusCode).toBe(429); // IPv4-mapped is the IPv4 address
    const whole = app();
    await whole.register(loadstone, {
      rateLimit: { limiter: new RateLimiter({ limit: 1, periodMs: 60_000 }), ipv6Subnet: false },
    });
    whole.get('/api', async () => 'ok');
    expect((await whole.inject({ url: '/api', remoteAddress: '2001:db8::1' })).statusCode).toBe(200);
    expect((await whole.inject({ url: '/api', remoteAddress: '2001:db8::2' })).statusCode).toBe(200);
    for (const ipv6Subnet of [0, 129, 1.5, '64']) {
      const bad = app();
      await expect(
        bad.register(loadstone, { rateLimit: { limiter, ipv6Subnet: ipv6Subnet as never } }),
      ).rejects.toMatchObject({
        code: 'ERR_LOADSTONE_INVALID_OPTION',
        option: 'options.rateLimit.ipv6Subnet',
      });
    }
  });

  it('never sheds the usual probe paths, a route of the app’s own included', async () => {
    const { monitor, sampler } = scripted();
    const server = app();
    await server.register(loadstone, { monitor, shedding: true });
    server.get('/healthz', async () => 'own probe');
    server.get('/api', async () => 'ok');
    sampler.delay(400);
    await monitor.refresh();
    expect((await server.inject({ url: '/api' })).statusCode).toBe(503);
    expect((await server.inject({ url: '/healthz' })).body).toBe('own probe');
  });

  it('warns once when an address-keyed limit sees a proxy Fastify does not trust', async () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    const limiter = new RateLimiter({ limit: 100, periodMs: 1_000 });
    const server = app();
    await server.register(loadstone, { rateLimit: { limiter } });
    server.get('/api', async () => 'ok');
    await server.inject({ url: '/api' });
    expect(warn).not.toHaveBeenCalled();
    for (let i = 0; i < 3; i++)
      await server.inject({ url: '/api', headers: { 'x-forwarded-for': '203.0.113.7' } });
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0]?.[1]).toMatchObject({ code: 'LOADSTONE_WARN_UNTRUSTED_PROXY' });
    warn.mockRestore();
  });
});
