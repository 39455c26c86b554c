import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { InvalidOptionError } from '../core/index.js';
import { FakeClock } from '../testing/FakeClock.js';
import { RateLimiter } from './RateLimiter.js';
import type { RateLimitStore } from './RateLimitStore.js';
import { rateLimitHandler } from './rateLimitHandler.js';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

/** A real server on 127.0.0.1 running `handler` in front of a route that answers `ok`. */
async function serve(
  handler: (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void,
): Promise<string> {
  const server = createServer((req, res) => {
    handler(req, res, (error) => {
      if (error !== undefined) {
        res.statusCode = 500;
        res.end(`error: ${(error as Error).message}`);
        return;
      }
      res.end('ok');
    });
  });
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('rateLimitHandler', () => {
  it('sets the draft-8 RateLimit fields, passes allowed requests on and answers 429 with Retry-After', async () => {
    const clock = new FakeClock();
    // #region rateLimitHandler
    const limiter = new RateLimiter({ limit: 2, periodMs: 10_000, clock });
    // Express: app.use(limit). Fastify: app.addHook('onRequest', (request, reply, done) =>
    // limit(request.raw, reply.raw, done)).
    const limit = rateLimitHandler(limiter, {
      key: (req) => String(req.headers['x-api-key'] ?? req.socket.remoteAddress),
    });
    // #endregion rateLimitHandler
    const url = await serve(limit);
    const get = () => fetch(url, { headers: { 'x-api-key': 'alice' } });

    const first = await get();
    expect(first.status).toBe(200);
    expect(await first.text()).toBe('ok');
    expect(first.headers.get('ratelimit-policy')).toBe('"default";q=2;w=10');
    expect(first.headers.get('ratelimit')).toBe('"default";r=1;t=5');
    expect(first.headers.get('retry-after')).toBeNull();

    expect((await get()).status).toBe(200);
    const denied = await get();
    expect(denied.status).toBe(429);
    expect(await denied.text()).toBe('Too Many Requests\n');
    expect(denied.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(denied.headers.get('ratelimit')).toBe('"default";r=0;t=5'); // the same moment as Retry-After
    expect(denied.headers.get('retry-after')).toBe('5');

    // Another key has its own limit.
    expect((await fetch(url, { headers: { 'x-api-key': 'bob' } })).status).toBe(200);
    clock.advance(5000);
    expect((await get()).status).toBe(200);
  });

  it('uses a per-request cost, and leaves out Retry-After when the cost can never pass', async () => {
    const limiter = new RateLimiter({ limit: 5, periodMs: 1000, clock: new FakeClock() });
    const url = await serve(
      rateLimitHandler(limiter, {
        key: () => 'k',
        cost: (req) => Number(req.headers['x-cost'] ?? 1),
      }),
    );
    const ok = await fetch(url, { headers: { 'x-cost': '3' } });
    expect(ok.headers.get('ratelimit')).toBe('"default";r=2;t=1');
    const never = await fetch(url, { headers: { 'x-cost': '6' } });
    expect(never.status).toBe(429);
    expect(never.headers.get('retry-after')).toBeNull();
  });

  it('sends key, cost and limiter errors to next(error)', async () => {
    const limiter = new RateLimiter({ limit: 5, periodMs: 1000 });
    const throwingKey = await serve(
      rateLimitHandler(limiter, {
        key: () => {
          throw new Error('no key');
        },
      }),
    );
    expect(await (await fetch(throwingKey)).text()).toBe('error: no key');
    const badCost = await serve(rateLimitHandler(limiter, { key: () => 'k', cost: () => -1 }));
    const response = await fetch(badCost);
    expect(response.status).toBe(500);
    expect(await response.text()).toContain('options.cost');
  });

  it('keeps serving (fail open) when the store is down, without rate-limit fields (they would say nothing)', async () => {
    const down: RateLimitStore = { consume: () => Promise.reject(new Error('ECONNREFUSED')) };
    const limiter = new RateLimiter({ limit: 5, periodMs: 1000, store: down });
    const url = await serve(rateLimitHandler(limiter, { key: () => 'k' }));
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(response.headers.get('ratelimit')).toBeNull();
    expect(response.headers.get('ratelimit-policy')).toBeNull();
  });

  it('validates its options', () => {
    const limiter = new RateLimiter({ limit: 5, periodMs: 1000 });
    expect(() => rateLimitHandler(limiter, {} as never)).toThrow(InvalidOptionError);
    expect(() => rateLimitHandler(limiter, { key: () => 'k', cost: 1.5 })).toThrow(
      'Expected `options.cost` to be an integer >= 0, got `1.5` (number)',
    );
    expect(() => rateLimitHandler(limiter, { key: () => 'k', headers: 'draft-7' as never })).toThrow(
      expect.objectContaining({ option: 'options.headers' }),
    );
    expect(() => rateLimitHandler(limiter, { key: () => 'k', policy: 'a\nb' })).toThrow(
      expect.objectContaining({ option: 'options.policy' }),
    );
  });
});
