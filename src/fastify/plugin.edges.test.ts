// The plugin's edges: what each option's absence means, the hooks' ordering at close, the reply
// bodies' types, a limiter that fails, and the option errors' whole messages.
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
function app() {
  const made = Fastify();
  apps.push(made);
  return made;
}

/** The message `register` rejects with for `options`. */
async function refusal(options: object): Promise<string> {
  return app()
    .register(loadstone, options as never)
    .then(
      () => 'registered',
      (error: Error) => error.message,
    );
}

describe('the loadstone Fastify plugin, at its edges', () => {
  it('sheds nothing without the shedding option, and nothing with shedding: false', async () => {
    for (const shedding of [undefined, false] as const) {
      const { monitor, sampler } = scripted();
      const server = app();
      await server.register(loadstone, shedding === undefined ? { monitor } : { monitor, shedding });
      server.get('/api', async () => 'ok');
      sampler.delay(400);
      await monitor.refresh();
      expect((await server.inject({ url: '/ready' })).statusCode).toBe(503); // critical
      expect((await server.inject({ url: '/api' })).body).toBe('ok');
    }
  });

  it('answers 503 and 429 as plain text', async () => {
    const { monitor, sampler } = scripted();
    const server = app();
    const limiter = new RateLimiter({ limit: 1, periodMs: 60_000, clock: new FakeClock() });
    await server.register(loadstone, { monitor, shedding: true, rateLimit: { limiter, key: () => 'k' } });
    server.get('/api', async () => 'ok');
    await server.inject({ url: '/api' });
    const limited = await server.inject({ url: '/api' });
    expect([limited.statusCode, limited.headers['content-type']]).toEqual([429, 'text/plain; charset=utf-8']);
    sampler.delay(400);
    await monitor.refresh();
    const shed = await server.inject({ url: '/api' });
    expect([shed.statusCode, shed.headers['content-type']]).toEqual([503, 'text/plain; charset=utf-8']);
  });

  it('sheds a route that opts out of the rate limit only', async () => {
    const { monitor, sampler } = scripted();
    const server = app();
    const limiter = new RateLimiter({ limit: 100, periodMs: 60_000 });
    await server.register(loadstone, { monitor, shedding: true, rateLimit: { limiter, key: () => 'k' } });
    server.get('/free', { config: { loadstone: { rateLimit: false } } }, async () => 'free');
    sampler.delay(400);
    await monitor.refresh();
    expect((await server.inject({ url: '/free' })).statusCode).toBe(503);
  });

  it('sends a limit call that rejects (an empty key) to Fastify’s error handler', async () => {
    const limiter = new RateLimiter({ limit: 5, periodMs: 1_000 });
    const server = app();
    await server.register(loadstone, { rateLimit: { limiter, key: () => '' } });
    server.get('/api', async () => 'ok');
    const answer = await server.inject({ url: '/api' });
    expect([answer.statusCode, answer.json().code]).toEqual([500, 'ERR_LOADSTONE_INVALID_OPTION']);
  });

  it('rate-limits in preHandler when asked, after the route’s own onRequest hooks', async () => {
    const seen: string[] = [];
    const limiter = new RateLimiter({ limit: 1, periodMs: 60_000, clock: new FakeClock() });
    const server = app();
    await server.register(loadstone, { rateLimit: { limiter, key: () => 'k', hook: 'preHandler' } });
    server.get('/api', { onRequest: async () => void seen.push('onRequest') }, async () => 'ok');
    await server.inject({ url: '/api' });
    const refused = await server.inject({ url: '/api' });
    // In preHandler the route's onRequest hook runs before the refusal; in onRequest it would not.
    expect([refused.statusCode, seen]).toEqual([429, ['onRequest', 'onRequest']]);
  });

  it('stops answering ready before what it closes: its own monitor begins shutting down first', async () => {
    const server = Fastify();
    let readyWhileClosing: number | undefined;
    await server.register(loadstone, {
      decorate: {
        cache: {
          close: async () => {
            readyWhileClosing = server.healthMonitor.isShuttingDown ? 503 : 200;
          },
        },
      },
    });
    await server.close();
    expect(readyWhileClosing).toBe(503);
  });

  it('warns of an untrusted proxy only for an address key Fastify did not take from the proxy', async () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    const forwarded = { 'x-forwarded-for': '203.0.113.7' };
    const keyed = app();
    await keyed.register(loadstone, {
      rateLimit: { limiter: new RateLimiter({ limit: 100, periodMs: 1_000 }), key: () => 'k' },
    });
    keyed.get('/api', async () => 'ok');
    await keyed.inject({ url: '/api', headers: forwarded });
    const trusting = Fastify({ trustProxy: '127.0.0.1' });
    apps.push(trusting);
    await trusting.register(loadstone, {
      rateLimit: { limiter: new RateLimiter({ limit: 100, periodMs: 1_000 }) },
    });
    trusting.get('/api', async () => 'ok');
    await trusting.inject({ url: '/api', headers: forwarded });
    expect(warn).not.toHaveBeenCalled();
    const plain = app();
    await plain.register(loadstone, {
      rateLimit: { limiter: new RateLimiter({ limit: 100, periodMs: 1_000 }) },
    });
    plain.get('/api', async () => 'ok');
    await plain.inject({ url: '/api', headers: forwarded });
    expect(warn.mock.calls[0]?.[0]).toBe(
      "A request rate-limited by its address came with X-Forwarded-For, but Fastify's trustProxy does " +
        'not trust the proxy: every client behind it shares its address and one limit. Set ' +
        "Fastify's trustProxy to the proxy's address (or hop count), or give the rate limit a key.",
    );
    warn.mockRestore();
  });

  it('accepts a probe left out, and names the option, what it expects and what it got in every refusal', async () => {
    const limiter = new RateLimiter({ limit: 1, periodMs: 1 });
    expect(await refusal({ routes: { live: false, ready: false, health: false } })).toBe('registered');
    const cases: [object, string][] = [
      [
        { monitr: 1 },
        'Expected `options.monitr` to be absent: it is not an option of the loadstone Fastify plugin, got `1` (number)',
      ],
      [{ monitor: {} }, 'Expected `options.monitor` to be a HealthMonitor, got `{}` (object)'],
      [{ routes: 5 }, 'Expected `options.routes` to be an object, got `5` (number)'],
      [
        { routes: { alive: '/a' } },
        'Expected `options.routes.alive` to be absent: it is not an option of the probe routes, got `"/a"` (string)',
      ],
      [
        { routes: { ready: 'ready' } },
        'Expected `options.routes.ready` to be a path starting with "/", or false, got `"ready"` (string)',
      ],
      [
        { routes: { health: 3 } },
        'Expected `options.routes.health` to be a path starting with "/", or false, got `3` (number)',
      ],
      [{ shedding: 'yes' }, 'Expected `options.shedding` to be an object, got `"yes"` (string)'],
      [{ decorate: [] }, 'Expected `options.decorate` to be an object, got `[]` (array)'],
      [{ decorate: { x: 5 } }, 'Expected `options.decorate.x` to be an object, got `5` (number)'],
      [{ decorate: { x: null } }, 'Expected `options.decorate.x` to be an object, got null'],
      [{ rateLimit: 1 }, 'Expected `options.rateLimit` to be an object, got `1` (number)'],
      [
        { rateLimit: { limiter, hook: 'onSend' } },
        'Expected `options.rateLimit.hook` to be one of "onRequest", "preHandler", got `"onSend"` (string)',
      ],
      [
        { rateLimit: { limiter, limit: 5 } },
        'Expected `options.rateLimit.limit` to be absent: it is not an option of the rate-limit options, got `5` (number)',
      ],
      [
        { rateLimit: { limiter: {} } },
        'Expected `options.rateLimit.limiter` to be a RateLimiter, got `{}` (object)',
      ],
      [
        { rateLimit: { limiter, key: 'ip' } },
        'Expected `options.rateLimit.key` to be a function, got `"ip"` (string)',
      ],
      [
        { rateLimit: { limiter, cost: -1 } },
        'Expected `options.rateLimit.cost` to be an integer >= 0, got `-1` (number)',
      ],
      [
        { rateLimit: { limiter, headers: 'x' } },
        'Expected `options.rateLimit.headers` to be one of "draft-8", "draft-6", "legacy", "none", got `"x"` (string)',
      ],
    ];
    const got = await Promise.all(cases.map(([options]) => refusal(options)));
    expect(got).toEqual(cases.map(([, message]) => message));
  });

  it('names the route setting in a refusal at the route', async () => {
    const server = app();
    await server.register(loadstone, {
      rateLimit: { limiter: new RateLimiter({ limit: 1, periodMs: 1 }), key: () => 'k' },
    });
    const cases: [unknown, string][] = [
      [3, 'Expected `config.loadstone` to be an object, got `3` (number)'],
      [{ shed: true }, 'Expected `config.loadstone.shed` to be false, or absent, got `true` (boolean)'],
      [
        { sheds: false },
        'Expected `config.loadstone.sheds` to be absent: it is not an option of a route’s loadstone config, got `false` (boolean)',
      ],
      [{ rateLimit: 'no' }, 'Expected `config.loadstone.rateLimit` to be an object, got `"no"` (string)'],
      [
        { rateLimit: { hook: 'preHandler' } },
        'Expected `config.loadstone.rateLimit.hook` to be absent: it is not an option of a route’s rate-limit config, got `"preHandler"` (string)',
      ],
      [
        { rateLimit: { cost: 1.5 } },
        'Expected `config.loadstone.rateLimit.cost` to be an integer >= 0, got `1.5` (number)',
      ],
    ];
    const got = cases.map(([loadstoneConfig], i) => {
      try {
        server.get(`/r${i}`, { config: { loadstone: loadstoneConfig as never } }, async () => 1);
        return 'added';
      } catch (error) {
        return (error as Error).message;
      }
    });
    expect(got).toEqual(cases.map(([, message]) => message));
  });
});
