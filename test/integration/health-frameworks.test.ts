// The probe handlers and the load-shedding handler mounted in Express 5 and Fastify 5, served
// over real HTTP on 127.0.0.1. The monitor's status is driven through the sampler seam.
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import type { HealthSample } from '../../src/health/index.js';
import { HealthMonitor } from '../../src/health/index.js';

const QUIET: HealthSample = {
  eventLoopDelay: { p50: 1, p99: 2, max: 3, mean: 1 },
  eventLoopUtilization: 0.1,
  heapUsedBytes: 50e6,
  heapLimitBytes: 2e9,
  rssBytes: 120e6,
  cpuPercent: 5,
};
const STALLED: HealthSample = { ...QUIET, eventLoopDelay: { p50: 5, p99: 800, max: 900, mean: 40 } };

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((c) => c()));
});

function controlledMonitor() {
  let next = QUIET;
  const monitor = new HealthMonitor({
    intervalMs: 3_600_000,
    sampler: { sample: () => next },
    hysteresis: { recoverAfter: 1 },
  });
  cleanups.push(() => monitor.close());
  return {
    monitor,
    set: async (sample: HealthSample) => {
      next = sample;
      await monitor.refresh();
    },
  };
}

type Answer = { status: number; body: string; retryAfter: string | null; type: string | null };

async function get(base: string, path: string): Promise<Answer> {
  const r = await fetch(base + path);
  return {
    status: r.status,
    body: await r.text(),
    retryAfter: r.headers.get('retry-after'),
    type: r.headers.get('content-type'),
  };
}

/** The same scenario for every framework: healthy, critical (shedding), recovered, shutting down. */
async function scenario(base: string, set: (s: HealthSample) => Promise<void>, monitor: HealthMonitor) {
  expect(await get(base, '/orders')).toMatchObject({ status: 200, body: 'orders' });
  const live = await get(base, '/live');
  expect(live).toMatchObject({ status: 200, type: 'application/json; charset=utf-8' });
  expect(JSON.parse(live.body)).toMatchObject({ alive: true, status: 'healthy' });
  const ready = await get(base, '/ready');
  expect(ready.status).toBe(200);
  expect(JSON.parse(ready.body)).toMatchObject({ ready: true, status: 'healthy', shuttingDown: false });

  await set(STALLED);
  const shed = await get(base, '/orders');
  expect(shed).toMatchObject({ status: 503, retryAfter: '7', body: 'Service Unavailable\n' });
  expect((await get(base, '/admin/stats')).status).toBe(200); // allow-listed
  expect((await get(base, '/live')).status).toBe(200); // probes are never shed; liveness stays up
  const notReady = await get(base, '/ready');
  expect(notReady.status).toBe(503);
  expect(JSON.parse(notReady.body)).toMatchObject({ ready: false, status: 'critical' });

  await set(QUIET);
  expect((await get(base, '/orders')).status).toBe(200);
  expect((await get(base, '/ready')).status).toBe(200);

  monitor.beginShutdown();
  const draining = await get(base, '/ready');
  expect(draining.status).toBe(503);
  expect(JSON.parse(draining.body)).toMatchObject({ ready: false, shuttingDown: true, status: 'healthy' });
  expect((await get(base, '/live')).status).toBe(200);
  expect((await get(base, '/orders')).status).toBe(200); // draining requests are still served
  expect(monitor.snapshot().shedRequests).toBe(1);
}

describe('HealthMonitor handlers in frameworks', () => {
  it('Express 5: app.get(path, handler) and app.use(loadShedding())', async () => {
    const { monitor, set } = controlledMonitor();
    const app = express();
    app.use(monitor.loadShedding({ allow: ['/admin'], retryAfterSeconds: 7 }));
    app.get('/live', monitor.livenessHandler());
    app.get('/ready', monitor.readinessHandler());
    app.get('/orders', (_req, res) => {
      res.send('orders');
    });
    app.get('/admin/stats', (_req, res) => {
      res.send('stats');
    });
    const server: Server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    cleanups.push(() => new Promise((resolve) => server.close(resolve)));
    await scenario(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, set, monitor);
  });

  it('Fastify 5: hijacked raw handlers and an onRequest hook', async () => {
    const { monitor, set } = controlledMonitor();
    const app: FastifyInstance = Fastify();
    cleanups.push(() => app.close());
    // #region fastify
    const live = monitor.livenessHandler();
    const ready = monitor.readinessHandler();
    const shed = monitor.loadShedding({ allow: ['/admin'], retryAfterSeconds: 7 });
    app.addHook('onRequest', (request, reply, done) => {
      shed(request.raw, reply.raw, (error) => {
        if (error === undefined) done();
        else done(error as Error);
      });
      // A shed request was answered on reply.raw: tell Fastify it no longer owns the response.
      if (reply.raw.writableEnded) reply.hijack();
    });
    app.get('/live', (request, reply) => {
      reply.hijack();
      live(request.raw, reply.raw);
    });
    app.get('/ready', (request, reply) => {
      reply.hijack();
      ready(request.raw, reply.raw);
    });
    // #endregion fastify
    app.get('/orders', async () => 'orders');
    app.get('/admin/stats', async () => 'stats');
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    await scenario(base, set, monitor);
  });
});
