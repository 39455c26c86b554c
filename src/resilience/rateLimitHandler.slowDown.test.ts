import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { rateLimitHandler } from './rateLimitHandler.js';
import { SlowDown } from './SlowDown.js';

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** A real server on 127.0.0.1: `slowDown` in front of a route that counts its calls. */
async function serve(slowDown: SlowDown): Promise<{ url: string; routed: () => number }> {
  const handler = rateLimitHandler(slowDown, { key: (req) => String(req.headers['x-user']) });
  let routed = 0;
  const server = createServer((req, res) => {
    handler(req, res, (error) => {
      if (error !== undefined) {
        res.statusCode = 500;
        res.end(String(error));
        return;
      }
      routed++;
      res.end('ok');
    });
  });
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, routed: () => routed };
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}

describe('rateLimitHandler with a SlowDown', () => {
  it('serves every request, the ones past delayAfter after their delay, with no rate-limit headers', async () => {
    const slowDown = new SlowDown({ delayAfter: 1, periodMs: 60_000, delayStepMs: 200 });
    const { url, routed } = await serve(slowDown);
    const get = () => fetch(url, { headers: { 'x-user': 'alice' } });
    const first = await get();
    expect([first.status, await first.text(), first.headers.get('ratelimit-limit')]).toEqual([
      200,
      'ok',
      null,
    ]);
    const started = performance.now();
    const second = await get();
    // Timers never fire early: the second request waited its 200 ms step at least.
    expect(performance.now() - started).toBeGreaterThanOrEqual(195);
    expect([second.status, await second.text()]).toEqual([200, 'ok']);
    expect(routed()).toBe(2);
    expect(slowDown.stats()).toMatchObject({ undelayed: 1, delayed: 1, waiting: 0 });
  });

  it('ends the wait of a request whose client disconnects at once, and never routes it', async () => {
    const slowDown = new SlowDown({
      delayAfter: 0,
      periodMs: 60_000,
      delayStepMs: 30_000,
      maxDelayMs: 60_000,
    });
    const { url, routed } = await serve(slowDown);
    const client = new AbortController();
    const request = fetch(url, { headers: { 'x-user': 'bob' }, signal: client.signal }).catch(
      (e: unknown) => e,
    );
    await until(() => slowDown.stats().waiting === 1);
    client.abort();
    await request;
    await until(() => slowDown.stats().abandoned === 1);
    expect(slowDown.stats()).toMatchObject({ waiting: 0, abandoned: 1, delayed: 1 });
    expect(routed()).toBe(0);
  });

  it('passes a bad key to next as the error', async () => {
    const slowDown = new SlowDown({ delayAfter: 1, periodMs: 60_000 });
    const handler = rateLimitHandler(slowDown, { key: () => '' });
    const errors: unknown[] = [];
    handler({} as never, { once: () => undefined, off: () => undefined } as never, (error) =>
      errors.push(error),
    );
    await until(() => errors.length === 1);
    expect(errors[0]).toMatchObject({ code: 'ERR_LOADSTONE_INVALID_OPTION' });
  });
});
