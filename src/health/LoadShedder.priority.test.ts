import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { expectInvalidOption } from '../../test/helpers/expectInvalidOption.js';
import { scripted, serve } from '../../test/helpers/scriptedMonitor.js';

const tierA = (): string => 'a';

/** An app behind `shed` that answers 200 `served` (500 with the error `next` got). */
const behind =
  (shed: (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void) =>
  (req: IncomingMessage, res: ServerResponse) =>
    shed(req, res, (error) => {
      res.statusCode = error === undefined ? 200 : 500;
      res.end(error === undefined ? 'served' : String((error as Error).message));
    });

describe('HealthMonitor.loadShedding by priority', () => {
  it('sheds the lowest tier while degraded and all but the highest while critical', async () => {
    const { monitor, sampler } = scripted({ hysteresis: { recoverAfter: 1 } });
    // #region priorityShedding
    const tierOf = (req: IncomingMessage) => String(req.headers['x-plan'] ?? 'free');
    const shed = monitor.loadShedding({
      priority: { levels: ['enterprise', 'pro', 'free'], classify: tierOf },
    });
    // The same function can route a tier to its own backends: lb.run(fn, { group: tierOf(req) }).
    // #endregion priorityShedding
    const url = await serve(behind(shed));
    const status = async (plan?: string) =>
      (await fetch(`${url}/search`, plan === undefined ? {} : { headers: { 'x-plan': plan } })).status;
    const all = async () => [
      await status('enterprise'),
      await status('pro'),
      await status('free'),
      await status(),
    ];
    expect(await all()).toEqual([200, 200, 200, 200]);
    sampler.delay(150);
    await monitor.refresh();
    expect(monitor.status).toBe('degraded');
    expect(await all()).toEqual([200, 200, 503, 503]);
    sampler.delay(400);
    await monitor.refresh();
    expect(monitor.status).toBe('critical');
    expect(await all()).toEqual([200, 503, 503, 503]);
    // A name not among the levels is the lowest; probes are never shed.
    expect(await status('platinum')).toBe(503);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect(monitor.snapshot().shedRequests).toBe(6);
    sampler.delay(1);
    await monitor.refresh();
    expect(await all()).toEqual([200, 200, 200, 200]);
  });

  it('sheds more tiers while degraded with shedWhenDegraded, keeps what allow lets through, passes a classifier’s error on', async () => {
    const { monitor, sampler } = scripted();
    const shed = monitor.loadShedding({
      allow: ['/admin'],
      priority: {
        levels: ['__proto__', 'constructor', 'toString'],
        classify: (req) => {
          if (req.headers['x-boom'] !== undefined) throw new Error('no plan');
          return String(req.headers['x-plan']);
        },
        shedWhenDegraded: 2,
      },
    });
    const url = await serve(behind(shed));
    sampler.delay(150);
    await monitor.refresh();
    const status = async (plan: string, path = '/x') =>
      (await fetch(url + path, { headers: { 'x-plan': plan } })).status;
    expect([await status('__proto__'), await status('constructor'), await status('toString')]).toEqual([
      200, 503, 503,
    ]);
    expect(await status('toString', '/admin/users')).toBe(200);
    const boom = await fetch(`${url}/x`, { headers: { 'x-boom': '1' } });
    expect(boom.status).toBe(500);
    expect(await boom.text()).toBe('no plan');
  });

  it('asks the classifier nothing while healthy', async () => {
    const { monitor } = scripted();
    let asked = 0;
    const shed = monitor.loadShedding({
      priority: {
        levels: ['high', 'low'],
        classify: () => {
          asked++;
          return 'low';
        },
      },
    });
    const url = await serve(behind(shed));
    expect((await fetch(url)).status).toBe(200);
    expect(asked).toBe(0);
  });

  it.each([
    [{ priority: 'tiers' }, 'options.priority', 'an object'],
    [
      { priority: { levels: ['one'], classify: tierA } },
      'options.priority.levels',
      'an array of at least two',
    ],
    [
      { priority: { levels: ['a', ''], classify: tierA } },
      'options.priority.levels[1]',
      'a non-empty string',
    ],
    [
      { priority: { levels: ['a', 'a'], classify: tierA } },
      'options.priority.levels[1]',
      'a name not listed before',
    ],
    [{ priority: { levels: ['a', 'b'] } }, 'options.priority.classify', 'a function'],
    [
      { priority: { levels: ['a', 'b'], classify: tierA, shedWhenDegraded: 2 } },
      'options.priority.shedWhenDegraded',
      'an integer from 1 to 1',
    ],
    [
      { priority: { levels: ['a', 'b'], classify: tierA, shed: 1 } },
      'options.priority.shed',
      'absent: it is not an option of priority',
    ],
    [
      { priority: { levels: ['a', 'b'], classify: tierA }, shedFrom: 'critical' },
      'options.shedFrom',
      'absent with `priority`',
    ],
  ])('refuses %j with a coded error', (options, option, expected) => {
    const { monitor } = scripted();
    expectInvalidOption(() => monitor.loadShedding(options as never), option, expected);
  });
});
