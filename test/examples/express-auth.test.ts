// Smoke test of examples/express-auth: starts it under the supervisor with 2 workers (cheap scrypt
// cost), exercises every route over HTTP, checks both workers answer and agree (shared user store,
// cache invalidation over the cluster bus), scrapes the admin port, and stops it with SIGTERM.
// Then once more with REDIS_URL (users, cache tier, bus and rate limit in Redis).
import { Agent, get } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ExampleHandle, killAllExamples, startExample } from '../helpers/exampleProcess.js';
import { type PromFamily, parsePrometheusText, samplesOf, sampleValue } from '../helpers/promText.js';
import { describeWithRedis } from '../helpers/redis.js';

type Reply = { status: number; worker: string; headers: Headers; body: unknown };

/**
 * One request on a fresh connection (`connection: close`), so the primary spreads requests over
 * both workers instead of reusing one keep-alive socket.
 */
async function call(base: string, method: string, path: string, json?: unknown): Promise<Reply> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { connection: 'close', ...(json === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(json === undefined ? {} : { body: JSON.stringify(json) }),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // plain text (429, 503)
  }
  return { status: res.status, worker: res.headers.get('x-worker') ?? '', headers: res.headers, body };
}

/**
 * A GET through a keep-alive `http.Agent` (fetch may open a new connection per request, and a
 * new connection may go to the other worker).
 */
function getOn(agent: Agent, target: string): Promise<{ status: number; worker: string; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = get(target, { agent, timeout: 10_000 }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (chunk: string) => {
        text += chunk;
      });
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          worker: String(res.headers['x-worker']),
          body: JSON.parse(text),
        }),
      );
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${target} timed out`)));
    req.on('error', reject);
  });
}

/** Repeats `fn` until `done` says so, at most `max` times; returns every reply. */
async function until(max: number, fn: () => Promise<Reply>, done: (replies: Reply[]) => boolean) {
  const replies: Reply[] = [];
  while (replies.length < max && !done(replies)) replies.push(await fn());
  return replies;
}

/**
 * Scrapes the admin port's /metrics until both workers' last heartbeat (which carries their
 * figures) came after `since` (a `performance.now()`), so the figures include all done before.
 */
async function scrapeAfter(admin: string, since: number): Promise<Map<string, PromFamily>> {
  for (;;) {
    const text = await (await fetch(`${admin}/metrics`, { signal: AbortSignal.timeout(10_000) })).text();
    const now = performance.now();
    const families = parsePrometheusText(text);
    const fresh = ['w0', 'w1'].every((worker) => {
      const age = sampleValue(families, 'loadstone_cluster_worker_heartbeat_age_seconds', { worker });
      return age !== undefined && now - age * 1000 > since;
    });
    if (fresh) return families;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const invalidationsReceived = (families: Map<string, PromFamily>, worker: string) =>
  sampleValue(families, 'loadstone_cache_invalidations_received_total', { name: 'profiles', worker }) ?? 0;

const bothWorkers = (replies: Reply[]) => new Set(replies.map((r) => r.worker)).size >= 2;
const credentials = (username: string) => ({ username, password: 'correct horse battery' });

afterAll(() => killAllExamples());

describe('examples/express-auth (embedded)', () => {
  let app: ExampleHandle;
  let url: string;

  beforeAll(async () => {
    app = await startExample('express-auth', { env: { WORKERS: '2', SCRYPT_COST: '1024' } });
    url = app.url;
  });

  it('answers the probes with status only', async () => {
    const live = await call(url, 'GET', '/health/live');
    expect(live.status).toBe(200);
    const ready = await call(url, 'GET', '/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ ready: true, status: expect.any(String), shuttingDown: false });
  });

  it('spreads requests over both workers, each tagged with x-worker', async () => {
    const replies = await until(40, () => call(url, 'GET', '/health/live'), bothWorkers);
    expect(new Set(replies.map((r) => r.worker))).toEqual(new Set(['w0', 'w1']));
    // Keep-alive requests (the default agent) are tagged too.
    const res = await fetch(`${url}/health/live`);
    await res.arrayBuffer();
    expect(res.headers.get('x-worker')).toMatch(/^w[01]$/);
  });

  it('signs up, refuses a taken name and a bad body', async () => {
    const first = await call(url, 'POST', '/signup', credentials('alice'));
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    expect(first.body).toEqual({ username: 'alice' });
    expect((await call(url, 'POST', '/signup', credentials('alice'))).status).toBe(409);
    expect((await call(url, 'POST', '/signup', { username: 'bo' })).status).toBe(400);
    expect((await call(url, 'POST', '/signup', { username: 'bob', password: 'short' })).status).toBe(400);
  });

  it('logs in with the right password only', async () => {
    const ok = await call(url, 'POST', '/login', credentials('alice'));
    expect(ok.status).toBe(200);
    expect((ok.body as { token: unknown }).token).toEqual(expect.any(String));
    const wrong = await call(url, 'POST', '/login', { username: 'alice', password: 'wrong password' });
    expect(wrong.status).toBe(401);
    const unknown = await call(url, 'POST', '/login', credentials('nobody'));
    expect(unknown.status).toBe(401);
  });

  it('lets a user signed up on one worker log in on the other', async () => {
    const signup = await call(url, 'POST', '/signup', credentials('carol'));
    expect(signup.status).toBe(201);
    const replies = await until(
      40,
      () => call(url, 'POST', '/login', credentials('carol')),
      (rs) => rs.some((r) => r.worker !== signup.worker),
    );
    const other = replies.find((r) => r.worker !== signup.worker);
    expect(other?.status).toBe(200);
  });

  it('serves profiles through the cache, and 404 for unknown users', async () => {
    // Twice over one keep-alive socket, so one worker answers both: the first read loads the
    // profile, the second is a cache hit (counted in the metrics below).
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const first = await getOn(agent, `${url}/profiles/alice`);
      const again = await getOn(agent, `${url}/profiles/alice`);
      expect(first.status).toBe(200);
      expect(first.body).toEqual({ username: 'alice', createdAt: expect.any(String) });
      expect(again).toEqual(first);
    } finally {
      agent.destroy();
    }
    expect((await call(url, 'GET', '/profiles/nobody')).status).toBe(404);
  });

  it('drops a cached "not found" in every worker when the user signs up', async () => {
    expect(app.adminUrl).toBeDefined();
    const admin = app.adminUrl as string;
    // Both workers cache "dave: not found" (for 5 s)...
    const misses = await until(40, () => call(url, 'GET', '/profiles/dave'), bothWorkers);
    expect(misses.every((r) => r.status === 404)).toBe(true);
    const before = await scrapeAfter(admin, performance.now());
    const signup = await call(url, 'POST', '/signup', credentials('dave'));
    expect(signup.status).toBe(201);
    // ...and the other worker receives the sign-up's invalidation over the cluster bus: counted
    // on its cache, not inferred from a time window (which the 5 s TTL could satisfy alone).
    const other = signup.worker === 'w0' ? 'w1' : 'w0';
    for (;;) {
      const families = await scrapeAfter(admin, performance.now());
      if (invalidationsReceived(families, other) > invalidationsReceived(before, other)) break;
    }
    // Its copy is gone: both workers now find dave (bounded by the test's timeout).
    const found = new Set<string>();
    while (found.size < 2) {
      const reply = await call(url, 'GET', '/profiles/dave');
      expect(reply.status).toBe(200);
      found.add(reply.worker);
    }
  });

  it('rate-limits repeated logins with 429 and Retry-After', async () => {
    expect((await call(url, 'POST', '/signup', credentials('erin'))).status).toBe(201);
    // 10 per minute per username and address; in embedded mode each worker counts its own.
    const replies = await until(
      30,
      () => call(url, 'POST', '/login', credentials('erin')),
      (rs) => rs.at(-1)?.status === 429,
    );
    const limited = replies.at(-1);
    expect(limited?.status).toBe(429);
    expect(Number(limited?.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(replies.slice(0, -1).every((r) => r.status === 200)).toBe(true);
    expect(replies.length).toBeGreaterThan(10);
  });

  it('serves Prometheus metrics of both workers and JSON stats on the admin port', async () => {
    expect(app.adminUrl).toBeDefined();
    const admin = app.adminUrl as string;
    // Workers send their metrics with each heartbeat (every second), so a scrape lags the
    // requests above by up to a heartbeat: scrape until it has caught up (bounded).
    const sum = (families: Map<string, PromFamily>, name: string) =>
      samplesOf(families, name, { name: name.includes('threads') ? 'passwords' : 'profiles' }).reduce(
        (total, s) => total + s.value,
        0,
      );
    const caughtUp = (families: Map<string, PromFamily>) =>
      ['w0', 'w1'].every(
        (worker) =>
          samplesOf(families, 'loadstone_threads_tasks_completed_total', { name: 'passwords', worker })
            .length > 0 &&
          samplesOf(families, 'loadstone_cache_hits_total', { name: 'profiles', worker }).length > 0,
      ) &&
      // at least the 10 hashes of the logins above, and the profile read twice
      sum(families, 'loadstone_threads_tasks_completed_total') >= 10 &&
      sum(families, 'loadstone_cache_hits_total') > 0 &&
      (sampleValue(families, 'loadstone_ratelimit_denied_total', { name: 'login' }) ?? 0) > 0;
    const deadline = Date.now() + 10_000;
    let families = new Map<string, PromFamily>();
    for (;;) {
      const res = await fetch(`${admin}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
      families = parsePrometheusText(await res.text());
      if (caughtUp(families) || Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    for (const worker of ['w0', 'w1']) {
      for (const name of [
        'loadstone_threads_tasks_completed_total',
        'loadstone_threads_task_duration_seconds',
      ]) {
        expect(
          samplesOf(families, name, { name: 'passwords', worker }).length,
          `${name} of ${worker}`,
        ).toBeGreaterThan(0);
      }
      for (const name of ['loadstone_cache_hits_total', 'loadstone_cache_misses_total']) {
        expect(
          samplesOf(families, name, { name: 'profiles', worker }).length,
          `${name} of ${worker}`,
        ).toBeGreaterThan(0);
      }
    }
    expect(sum(families, 'loadstone_threads_tasks_completed_total')).toBeGreaterThanOrEqual(10);
    expect(sum(families, 'loadstone_cache_hits_total')).toBeGreaterThan(0);
    expect(families.get('loadstone_cluster_workers')?.type).toBe('gauge');
    // The login rate limiter's 429s from the test above, summed over the workers.
    expect(sampleValue(families, 'loadstone_ratelimit_denied_total', { name: 'login' })).toBeGreaterThan(0);

    const stats = (await (await fetch(`${admin}/`)).json()) as {
      state: string;
      workers: { slot: string; state: string }[];
      health?: { status: string };
    };
    expect(stats.state).toBe('running');
    expect(stats.workers.map((w) => w.slot).sort()).toEqual(['w0', 'w1']);
    expect(stats.health?.status).toEqual(expect.any(String));
  });

  it('stops cleanly on SIGTERM', async () => {
    const { code } = await app.stop();
    expect(code, app.output()).toBe(0);
    expect(app.output()).not.toMatch(/Error|Warning|Unhandled/);
  });
});

describeWithRedis('examples/express-auth (REDIS_URL)', (getRedis) => {
  let app: ExampleHandle;
  let url: string;

  beforeAll(async () => {
    app = await startExample('express-auth', {
      env: { WORKERS: '2', SCRYPT_COST: '1024', REDIS_URL: getRedis().url },
    });
    url = app.url;
  });

  it('signs up, logs in and serves profiles from either worker', async () => {
    const signup = await call(url, 'POST', '/signup', credentials('frank'));
    expect(signup.status).toBe(201);
    expect((await call(url, 'POST', '/signup', credentials('frank'))).status).toBe(409);
    expect((await call(url, 'POST', '/login', credentials('frank'))).status).toBe(200);
    expect(
      (await call(url, 'POST', '/login', { username: 'frank', password: 'wrong password' })).status,
    ).toBe(401);
    const profiles = await until(40, () => call(url, 'GET', '/profiles/frank'), bothWorkers);
    expect(profiles.every((r) => r.status === 200)).toBe(true);
    expect((await call(url, 'GET', '/profiles/nobody')).status).toBe(404);
  });

  it('enforces one login limit across both workers (Redis store)', async () => {
    expect((await call(url, 'POST', '/signup', credentials('grace'))).status).toBe(201);
    const replies = await until(
      20,
      () => call(url, 'POST', '/login', credentials('grace')),
      (rs) => rs.at(-1)?.status === 429,
    );
    // Exactly 10 pass, whichever worker answered: the count lives in Redis, not in a worker.
    expect(replies.map((r) => r.status)).toEqual([...Array(10).fill(200), 429]);
    expect(new Set(replies.map((r) => r.worker)).size).toBe(2);
    expect(Number(replies.at(-1)?.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  });

  it('stops cleanly on SIGTERM', async () => {
    const { code } = await app.stop();
    expect(code, app.output()).toBe(0);
    expect(app.output()).not.toMatch(/Error|Warning|Unhandled/);
  });
});
