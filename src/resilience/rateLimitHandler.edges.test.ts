// rateLimitHandler on plain request/response stand-ins: what it does to a response that another
// handler already answered, fixed costs, and the smallest Retry-After.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../testing/FakeClock.js';
import { RateLimiter } from './RateLimiter.js';
import type { RateLimitDecision, RateLimitStore } from './RateLimitStore.js';
import { rateLimitHandler } from './rateLimitHandler.js';

/** The parts of a ServerResponse the handler touches, recorded. */
function fakeResponse(state: { headersSent?: boolean; writableEnded?: boolean } = {}) {
  const headers: Record<string, string> = {};
  const res = {
    headersSent: state.headersSent ?? false,
    writableEnded: state.writableEnded ?? false,
    statusCode: 200,
    body: undefined as string | undefined,
    headers,
    setHeader(name: string, value: string) {
      headers[name] = value;
      return this;
    },
    end(body: string) {
      this.body = body;
      this.writableEnded = true;
      return this;
    },
  };
  return res;
}

/** Runs `handler` once and reports what it did. */
async function run(
  handler: (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void,
  res = fakeResponse(),
) {
  const nexts: unknown[][] = [];
  await new Promise<void>((resolve) => {
    handler({ headers: {} } as IncomingMessage, res as unknown as ServerResponse, (...args: unknown[]) => {
      nexts.push(args);
      resolve();
    });
    setImmediate(resolve);
  });
  return { res, nexts };
}

const storeAnswering = (decision: RateLimitDecision): RateLimitStore => ({ consume: () => decision });

describe('rateLimitHandler edges', () => {
  it('leaves alone a response already sent or ended, and does not call next', async () => {
    const limiter = new RateLimiter({ limit: 5, periodMs: 1000, clock: new FakeClock() });
    const handler = rateLimitHandler(limiter, { key: () => 'k' });
    for (const state of [{ headersSent: true }, { writableEnded: true }]) {
      const { res, nexts } = await run(handler, fakeResponse(state));
      expect(res.headers).toEqual({});
      expect(nexts).toEqual([]);
      expect(res.body).toBeUndefined();
    }
    expect(limiter.stats().allowed).toBe(2); // the requests still counted
  });

  it('passes an allowed request on with next() and no argument', async () => {
    const limiter = new RateLimiter({ limit: 5, periodMs: 1000, clock: new FakeClock() });
    const { res, nexts } = await run(rateLimitHandler(limiter, { key: () => 'k', headers: 'draft-6' }));
    expect(nexts).toEqual([[]]);
    expect(res.headers).toEqual({
      'RateLimit-Policy': '5;w=1',
      'RateLimit-Limit': '5',
      'RateLimit-Remaining': '4',
      'RateLimit-Reset': '1',
    });
    expect(res.statusCode).toBe(200);
  });

  it('spends a fixed cost given as a number, and 1 by default', async () => {
    const limiter = new RateLimiter({ limit: 10, periodMs: 1000, clock: new FakeClock() });
    const legacy = { headers: 'legacy' } as const;
    const fixed = await run(rateLimitHandler(limiter, { key: () => 'a', cost: 3, ...legacy }));
    expect(fixed.res.headers['X-RateLimit-Remaining']).toBe('7');
    const again = await run(rateLimitHandler(limiter, { key: () => 'a', cost: 3, ...legacy }));
    expect(again.res.headers['X-RateLimit-Remaining']).toBe('4');
    const byDefault = await run(rateLimitHandler(limiter, { key: () => 'b', ...legacy }));
    expect(byDefault.res.headers['X-RateLimit-Remaining']).toBe('9');
    const free = await run(rateLimitHandler(limiter, { key: () => 'a', cost: 0, ...legacy }));
    expect(free.res.headers['X-RateLimit-Remaining']).toBe('4');
    const none = await run(rateLimitHandler(limiter, { key: () => 'a', headers: 'none' }));
    expect(none.res.headers).toEqual({});
  });

  it('asks to retry after at least a second, however soon the limiter says', async () => {
    const limiter = new RateLimiter({
      limit: 5,
      periodMs: 1000,
      store: storeAnswering({ allowed: false, remaining: 0, resetMs: 1, retryAfterMs: 0 }),
    });
    const { res, nexts } = await run(rateLimitHandler(limiter, { key: () => 'k', headers: 'draft-6' }));
    expect(nexts).toEqual([]);
    expect(res.statusCode).toBe(429);
    expect(res.headers).toEqual({
      'RateLimit-Policy': '5;w=1',
      'RateLimit-Limit': '5',
      'RateLimit-Remaining': '0',
      'RateLimit-Reset': '1',
      'Retry-After': '1',
      'Content-Type': 'text/plain; charset=utf-8',
    });
    expect(res.body).toBe('Too Many Requests\n');
  });

  it('rounds Retry-After and the reset up to whole seconds', async () => {
    const limiter = new RateLimiter({
      limit: 5,
      periodMs: 1000,
      store: storeAnswering({ allowed: false, remaining: 0, resetMs: 2001, retryAfterMs: 1001 }),
    });
    const { res } = await run(rateLimitHandler(limiter, { key: () => 'k', policy: 'p' }));
    // A refusal's reset is the moment its cost is accepted: the same as Retry-After.
    expect(res.headers).toMatchObject({ RateLimit: '"p";r=0;t=2', 'Retry-After': '2' });
  });

  it('sends a limiter rejection to next(error)', async () => {
    const limiter = new RateLimiter({ limit: 5, periodMs: 1000 });
    const { res, nexts } = await run(rateLimitHandler(limiter, { key: () => '' }));
    expect(nexts).toHaveLength(1);
    expect(nexts[0]?.[0]).toMatchObject({ code: 'ERR_LOADSTONE_INVALID_OPTION', option: 'key' });
    expect(res.headers).toEqual({});
  });
});
