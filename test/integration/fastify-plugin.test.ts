// The Fastify plugin on a real listening server over 127.0.0.1, loaded the way users load it:
// the source as ESM, and `require('loadstone/fastify')` of the build from CommonJS.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import loadstone from '../../src/fastify/index.js';
import { RateLimiter } from '../../src/resilience/index.js';

const run = promisify(execFile);
const servers: ReturnType<typeof Fastify>[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

describe('loadstone/fastify on a listening server', () => {
  it('serves probes, rate-limits over HTTP, and closes what it decorated', async () => {
    const closed: string[] = [];
    const limiter = new RateLimiter({ limit: 2, periodMs: 60_000 });
    const server = Fastify();
    servers.push(server);
    await server.register(loadstone, {
      rateLimit: { limiter, key: (request) => String(request.headers['x-user']) },
      decorate: { cache: { close: async () => void closed.push('cache') } },
    });
    server.get('/api', async () => ({ ok: true }));
    const url = await server.listen({ host: '127.0.0.1', port: 0 });

    const live = await fetch(`${url}/live`);
    expect([live.status, ((await live.json()) as { alive: boolean }).alive]).toEqual([200, true]);
    const get = () => fetch(`${url}/api`, { headers: { 'x-user': 'alice' } });
    const first = await get();
    expect(first.status).toBe(200);
    expect(first.headers.get('ratelimit-policy')).toBe('"default";q=2;w=60');
    await get();
    const refused = await get();
    expect([refused.status, refused.headers.get('retry-after'), await refused.text()]).toEqual([
      429,
      '30',
      'Too Many Requests\n',
    ]);
    expect(refused.headers.get('ratelimit')).toBe('"default";r=0;t=30');
    expect((await fetch(`${url}/ready`)).status).toBe(200);

    servers.pop();
    await server.close();
    expect(closed).toEqual(['cache']);
    expect(server.healthMonitor.closed).toBe(true);
  });

  it('registers from CommonJS with require() as from ESM', async () => {
    const script = `
      const fastify = require('fastify')();
      fastify.register(require('loadstone/fastify'));
      fastify.ready().then(async () => {
        const answer = await fastify.inject({ url: '/ready' });
        console.log(JSON.stringify([answer.statusCode, typeof fastify.healthMonitor]));
        await fastify.close();
      });`;
    const { stdout } = await run(process.execPath, ['-e', script], { timeout: 20_000 });
    expect(JSON.parse(stdout)).toEqual([200, 'object']);
  }, 30_000);
});
