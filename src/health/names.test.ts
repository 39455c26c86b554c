// Names and paths are data: a check called `__proto__` counts like any other, a worker keyed
// `__proto__` is aggregated, and a path that climbs out of a probe path with `..` is not exempt.
import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { scripted, serve } from '../../test/helpers/scriptedMonitor.js';
import { aggregateHealth } from './aggregateHealth.js';

/** A raw GET of `path`, sent as is (fetch would resolve its dot segments first). */
function rawGet(url: string, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const { hostname, port } = new URL(url);
    request({ host: hostname, port, path, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    })
      .on('error', reject)
      .end();
  });
}

describe('names and paths as data', () => {
  it('a critical check named __proto__ makes the monitor critical and shows in its checks', async () => {
    const { monitor } = scripted({
      checks: [{ name: '__proto__', check: async () => ({ status: 'critical', message: 'down' }) }],
      hysteresis: { recoverAfter: 1 },
    });
    const snapshot = await monitor.refresh();
    expect(snapshot.status).toBe('critical');
    expect(Object.keys(snapshot.checks)).toEqual(['__proto__']);
    expect(JSON.stringify(snapshot.checks)).toMatch(/^\{"__proto__":\{"status":"critical"/);
  });

  it('aggregates a worker keyed __proto__', async () => {
    const { monitor } = scripted();
    const snapshot = await monitor.refresh();
    const snapshots = JSON.parse(`{"__proto__": ${JSON.stringify(snapshot)}}`);
    const aggregated = aggregateHealth(snapshots, { now: snapshot.at });
    expect(Object.keys(aggregated.workers)).toEqual(['__proto__']);
  });

  it('sheds a path that leaves a probe path with dot segments, and exempts one that stays in it', async () => {
    const { monitor, sampler } = scripted();
    const shed = monitor.loadShedding();
    const url = await serve((req, res) => shed(req, res, () => res.end('served')));
    sampler.delay(400);
    await monitor.refresh();
    expect(monitor.status).toBe('critical');
    expect(await rawGet(url, '/api/heavy')).toBe(503);
    expect(await rawGet(url, '/health/../api/heavy')).toBe(503);
    expect(await rawGet(url, '/health/%2e%2e/api/heavy')).toBe(503);
    expect(await rawGet(url, '/health/./ready')).toBe(200);
    expect(await rawGet(url, '/health/ready?x=../..')).toBe(200);
  });
});
