// The supervisor's admin endpoint as an operator's browser and tools meet it: the status page
// (self-contained, locked down by its Content-Security-Policy), /stats.json, /history.json
// (version 1) filled from real workers' heartbeats under a little load, marks for a crash and a
// rolling reload, the bearer token. The page rendered in a real browser: status-page-browser.test.ts.
import { afterAll, describe, expect, it } from 'vitest';
import type { HistorySnapshot } from '../../src/health/index.js';
import { killAllPrimaries, startPrimary } from '../helpers/clusterPrimary.js';
import { httpGet as get } from '../helpers/httpGet.js';
import { until } from '../helpers/until.js';

afterAll(() => {
  killAllPrimaries();
});

const history = async (port: number): Promise<HistorySnapshot> =>
  JSON.parse((await get(port, '/history.json')).body) as HistorySnapshot;
const lastValue = (snapshot: HistorySnapshot, name: string) => snapshot.series[name]?.v.at(-1);

describe('the status page and its JSON on the admin port', () => {
  it('serves a self-contained page, and the stats and history it draws from real heartbeats, marks included', async () => {
    const primary = startPrimary('status-app.mjs');
    const started = await primary.waitFor('started');
    const [port, admin] = [started.port as number, started.metrics as number];

    const page = await get(admin, '/', { accept: 'text/html' });
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("connect-src 'self'");
    const nonce = /script-src 'nonce-([^']+)'/.exec(csp)?.[1];
    expect(page.body).toContain(`<script nonce="${nonce}">`);
    expect(page.body).not.toMatch(/<(script|link|img)[^>]+(src|href)=/i); // nothing loaded from anywhere
    // Other clients get the JSON at / as before; /stats.json names it.
    expect(JSON.parse((await get(admin, '/')).body).workers).toHaveLength(2);

    for (let i = 0; i < 200; i++) await get(port, '/');
    await until(async () => {
      const h = await history(admin);
      return (lastValue(h, 'cluster.requestsPerSecond') ?? 0) > 0 && h.series['w1.rssBytes'] !== undefined;
    }, 20_000);
    const snapshot = await history(admin);
    expect(snapshot).toMatchObject({ version: 1, intervalMs: 100, capacity: 1_800 });
    for (const slot of ['w0', 'w1']) {
      for (const figure of [
        'rssBytes',
        'heapUsedBytes',
        'eventLoopDelayP99Ms',
        'eventLoopUtilization',
        'requestsInFlight',
        'requestsPerSecond',
        'connections',
      ]) {
        expect(snapshot.series[`${slot}.${figure}`]?.t.length, `${slot}.${figure}`).toBeGreaterThan(0);
      }
    }
    expect(lastValue(snapshot, 'cluster.workers')).toBe(2);
    expect(lastValue(snapshot, 'cluster.rssBytes')).toBeGreaterThan(10_000_000);
    const later = await get(admin, `/history.json?since=${snapshot.now}`);
    const newer = JSON.parse(later.body) as HistorySnapshot;
    for (const series of Object.values(newer.series))
      expect(series.t.every((t) => t > snapshot.now)).toBe(true);
    expect((await get(admin, '/history.json?since=soon')).status).toBe(400);
    expect((await get(admin, '//[')).status).toBe(404); // a target that is not a URL with a base
    expect((await get(admin, '//admin.invalid/stats.json')).status).toBe(404); // the path, not a host

    const stats = await get(admin, '/stats.json');
    expect(stats.status).toBe(200);
    // No environment, no command line: nothing of the process's own settings in what it serves.
    for (const body of [stats.body, later.body, page.body]) {
      expect(body).not.toContain(process.env.PATH ?? 'no PATH');
      expect(body).not.toContain('status-app.mjs');
    }

    // A worker crashes: its lines get a gap and the axis a restart mark.
    await get(port, '/crash').catch(() => undefined);
    await until(async () => (await history(admin)).marks.some((m) => m.kind === 'restart'), 20_000);
    const crashed = await history(admin);
    const exit = crashed.marks.find((m) => m.kind === 'exit');
    expect(exit?.label).toMatch(/^w[01]$/);
    expect(crashed.series[`${exit?.label}.rssBytes`]?.v).toContain(null);

    primary.send({ cmd: 'reload' });
    await primary.waitFor('reloaded', undefined, 60_000);
    const reloads = (await history(admin)).marks.filter((m) => m.kind === 'reload').map((m) => m.label);
    expect(reloads[0]).toBe('started');
    expect(reloads.at(-1)).toMatch(/^done in \d+\.\d s$/);
  });

  it('asks for the bearer token on every path when one is set, from the header or the page URL', async () => {
    const token = 'a-long-admin-token-0123456789';
    const primary = startPrimary('status-app.mjs', { FIXTURE_TOKEN: token });
    const admin = (await primary.waitFor('started')).metrics as number;
    for (const path of ['/', '/stats.json', '/history.json', '/metrics']) {
      const refused = await get(admin, path);
      expect(refused.status, path).toBe(401);
      expect(refused.headers['www-authenticate']).toBe('Bearer realm="loadstone"');
      expect((await get(admin, path, { authorization: `Bearer ${token}x` })).status).toBe(401);
      expect((await get(admin, path, { authorization: `Bearer ${token}` })).status).toBe(200);
    }
    expect((await get(admin, `/?token=${token}`, { accept: 'text/html' })).status).toBe(200);
    expect((await get(admin, '/stats.json', { authorization: `Bearer ${token}` })).body).not.toContain(token);
  });
});
