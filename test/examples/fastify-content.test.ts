// Smoke test of examples/fastify-content: starts the example as a child process (PORT=0,
// ADMIN_PORT=0), exercises every route over HTTP, scrapes /metrics and stops it with SIGTERM.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ExampleHandle, killAllExamples, startExample } from '../helpers/exampleProcess.js';
import { parsePrometheusText, sampleValue } from '../helpers/promText.js';

type AdminHealth = {
  health: { status: string };
  generation: { completed: number; shed: number };
  upstreams: { backends: { id: string; requests: number; failures: number }[] };
  breakers: Record<string, { state: string; calls: number; failures: number; rejections: number }>;
};

describe('examples/fastify-content', () => {
  let example: ExampleHandle;
  let url: string;
  let adminUrl: string;

  const get = (path: string, headers: Record<string, string> = {}) =>
    fetch(`${url}${path}`, { headers, signal: AbortSignal.timeout(10_000) });
  const send = (
    base: string,
    method: string,
    path: string,
    body: unknown,
    headers: Record<string, string> = {},
  ) =>
    fetch(`${base}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
  const adminHealth = async (): Promise<AdminHealth> =>
    (await (
      await fetch(`${adminUrl}/health`, { signal: AbortSignal.timeout(10_000) })
    ).json()) as AdminHealth;

  beforeAll(async () => {
    example = await startExample('fastify-content');
    url = example.url;
    expect(example.adminUrl, example.output()).toBeDefined();
    adminUrl = example.adminUrl as string;
    // The user table: one user per tier.
    for (const [id, tier] of [
      ['ada', 'premium'],
      ['grace', 'pro'],
      ['linus', 'free'],
    ]) {
      const res = await send(url, 'PUT', `/users/${id}`, { tier });
      expect(res.status, await res.clone().text()).toBe(200);
    }
  });

  afterAll(() => killAllExamples());

  it('answers the public probes', async () => {
    const live = await get('/health/live');
    expect(live.status).toBe(200);
    expect(await live.json()).toMatchObject({ alive: true });
    const ready = await get('/health/ready');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ ready: true, status: expect.any(String), shuttingDown: false });
  });

  it('reads content through the cache: a miss, then hits', async () => {
    // The first load may land on the flaky stand-in; the example retries it once on another
    // upstream (the balancer's `exclude`), and the other two never fail.
    const first = await get('/content/welcome');
    expect(first.status).toBe(200);
    expect(first.headers.get('x-cache')).toBe('miss');
    const article = await first.json();
    for (let i = 0; i < 2; i++) {
      const again = await get('/content/welcome');
      expect(again.status).toBe(200);
      expect(again.headers.get('x-cache')).toBe('hit');
      expect(await again.json()).toEqual(article);
    }
  });

  it('routes a user to the same shard every time', async () => {
    const first = await get('/users/ada');
    expect(first.status).toBe(200);
    const body = (await first.json()) as { user: { tier: string }; shard: string };
    expect(body.user.tier).toBe('premium');
    expect(body.shard).toMatch(/^shard-\d$/);
    for (let i = 0; i < 3; i++) {
      const again = await get('/users/ada');
      expect(again.headers.get('x-shard')).toBe(body.shard);
      expect(again.headers.get('x-cache')).toBe('hit');
    }
    // An unknown user is a 404 that still names the shard that would own it.
    const unknown = await get('/users/nobody');
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('x-shard')).toMatch(/^shard-\d$/);
  });

  it('starts a queued burst of generation requests premium first, then pro, then free', async () => {
    const res = await send(url, 'POST', '/generate/batch', {
      jobs: [
        { user: 'linus', prompt: 'a' },
        { user: 'grace', prompt: 'b' },
        { user: 'ada', prompt: 'c' },
        { user: 'linus', prompt: 'd' },
        { user: 'ada', prompt: 'e' },
      ],
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { started: string[]; results: { tier: string; text?: string }[] };
    expect(body.started).toEqual(['ada', 'ada', 'grace', 'linus', 'linus']);
    expect(body.results.map((r) => r.tier)).toEqual(['free', 'pro', 'premium', 'free', 'premium']);
    expect(body.results.every((r) => typeof r.text === 'string')).toBe(true);
  });

  it('sheds free-tier generation while health is critical, and serves it again after', async () => {
    const generate = (user: string) =>
      send(url, 'POST', '/generate', { prompt: 'hello' }, { 'x-user': user });
    const free = await generate('linus');
    expect(free.status).toBe(200);
    expect(await free.json()).toMatchObject({ tier: 'free' });

    const on = await send(adminUrl, 'POST', '/drill/overload', { on: true });
    expect(await on.json()).toEqual({ drill: true, status: 'critical' });
    try {
      const shed = await generate('linus');
      expect(shed.status).toBe(503);
      expect(shed.headers.get('retry-after')).toBe('5');
      for (const user of ['grace', 'ada']) expect((await generate(user)).status).toBe(200);
      expect((await get('/health/ready')).status).toBe(503);
      expect((await adminHealth()).generation.shed).toBeGreaterThanOrEqual(1);
    } finally {
      const off = await send(adminUrl, 'POST', '/drill/overload', { on: false });
      expect(((await off.json()) as { status: string }).status).not.toBe('critical');
    }
    expect((await generate('linus')).status).toBe(200);
    expect((await get('/health/ready')).status).toBe(200);
  });

  it('sends premium upstream calls to the premium affinity group through the balancer', async () => {
    for (let i = 0; i < 3; i++) {
      const res = await get('/recommendations', { 'x-user': 'ada' });
      expect(res.status).toBe(200);
      expect(res.headers.get('x-upstream')).toBe('recs-a');
      expect(await res.json()).toMatchObject({
        tier: 'premium',
        upstream: 'recs-a',
        data: { upstream: 'recs-a' },
      });
    }
  });

  it("shows the flaky upstream's failures in its breaker", async () => {
    // Free traffic is spread over all three stand-ins; recs-c fails two requests in three.
    let health = await adminHealth();
    for (let i = 0; i < 200 && (health.breakers['recs-c']?.failures ?? 0) === 0; i++) {
      const res = await get('/recommendations', { 'x-user': 'linus' });
      expect([200, 502, 503]).toContain(res.status);
      health = await adminHealth();
    }
    const breaker = health.breakers['recs-c'];
    expect(breaker?.failures).toBeGreaterThan(0);
    expect(health.breakers['recs-a']?.failures).toBe(0);
    const backend = health.upstreams.backends.find((b) => b.id === 'recs-c');
    expect(backend?.failures).toBeGreaterThan(0);
  });

  it('exports Prometheus metrics on the admin port', async () => {
    const res = await fetch(`${adminUrl}/metrics`, { signal: AbortSignal.timeout(10_000) });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const families = parsePrometheusText(await res.text());
    expect(sampleValue(families, 'loadstone_cache_hits_total', { name: 'content' })).toBeGreaterThanOrEqual(
      2,
    );
    expect(sampleValue(families, 'loadstone_cache_misses_total', { name: 'content' })).toBeGreaterThanOrEqual(
      1,
    );
    // One series family per primitive, labelled with the name the example gave it.
    expect(
      sampleValue(families, 'loadstone_queue_tasks_completed_total', { name: 'generation' }),
    ).toBeGreaterThanOrEqual(8);
    expect(
      sampleValue(families, 'loadstone_queue_tasks_shed_total', { name: 'generation' }),
    ).toBeGreaterThanOrEqual(1);
    expect(sampleValue(families, 'loadstone_breaker_failures_total', { name: 'recs-c' })).toBeGreaterThan(0);
    expect(sampleValue(families, 'loadstone_breaker_failures_total', { name: 'recs-a' })).toBe(0);
    expect(
      sampleValue(families, 'loadstone_balancer_backend_requests_total', {
        name: 'upstreams',
        backend: 'recs-a',
      }),
    ).toBeGreaterThanOrEqual(3);
    expect(
      sampleValue(families, 'loadstone_pool_acquires_total', { name: 'pools', pool: 'upstream:recs-a' }),
    ).toBeGreaterThanOrEqual(3);
    // The public port does not serve them.
    expect((await get('/metrics')).status).toBe(404);
  });

  it('stops cleanly on SIGTERM', async () => {
    const { code, signal } = await example.stop();
    expect({ code, signal }, example.output()).toEqual({ code: 0, signal: null });
    expect(example.output()).toContain('stopped');
    expect(example.output()).not.toMatch(/error|warning/i);
  });
});
