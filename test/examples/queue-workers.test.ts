// Smoke test of examples/queue-workers: embedded mode (generated jobs, flaky enrichment with
// outages, in-memory results) and Redis mode (a loadstone job queue: nothing lost on SIGTERM or crash).
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { JobQueue, RedisJobStore } from '../../src/jobs/index.js';
import { type ExampleHandle, killAllExamples, startExample } from '../helpers/exampleProcess.js';
import { parsePrometheusText } from '../helpers/promText.js';
import { describeWithRedis } from '../helpers/redis.js';

type Stats = {
  accepted: number;
  written: number;
  failed: number;
  inFlight: number;
  batches: number;
  unenriched: number;
  retries: number;
  breaker: string;
  breakerOpened: number;
};

afterAll(() => killAllExamples());

/** Polls `read` every 100 ms until `done` holds, up to `timeoutMs`; returns the last value. */
async function waitFor<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline)
      throw new Error(`condition not met within ${timeoutMs} ms; last: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const getStats = async (example: ExampleHandle): Promise<Stats> =>
  (await (await fetch(`${example.url}/stats`)).json()) as Stats;

/** The `final stats key=value ...` line printed on shutdown, as numbers where they are numbers. */
function finalStats(output: string): Record<string, string | number> {
  const line = /^final stats (.*)$/m.exec(output)?.[1];
  if (line === undefined) throw new Error(`no final stats line in:\n${output}`);
  return Object.fromEntries(
    line.split(' ').map((pair) => {
      const [key = '', value = ''] = pair.split('=');
      return [key, Number.isNaN(Number(value)) ? value : Number(value)];
    }),
  );
}

function expectCleanOutput(output: string): void {
  expect(output).not.toMatch(
    /unhandled|uncaught|TypeError|ReferenceError|not written|source failed|shutdown failed/i,
  );
}

describe('examples/queue-workers (embedded)', () => {
  it('writes batches, survives enrichment outages, drains on SIGTERM', async () => {
    const example = await startExample('queue-workers', {
      env: { JOBS_PER_SEC: '300', OUTAGE_EVERY_MS: '2500', OUTAGE_MS: '1000', SEED: '7' },
    });

    expect((await fetch(`${example.url}/health/live`)).status).toBe(200);
    expect((await fetch(`${example.url}/health/ready`)).status).toBe(200);

    // An outage starts 1.5 s in: wait until the breaker has opened and batches are written.
    const stats = await waitFor(
      () => getStats(example),
      (s) => s.batches > 0 && s.breakerOpened > 0 && s.retries > 0 && s.unenriched > 0,
    );
    expect(stats.written).toBeGreaterThan(0);

    const metrics = parsePrometheusText(await (await fetch(`${example.url}/metrics`)).text());
    const sample = (family: string, labels: Record<string, string> = {}) =>
      metrics.get(family)?.samples.find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v));
    expect(metrics.get('loadstone_batch_batches_total')?.type).toBe('counter');
    expect(sample('loadstone_batch_batches_total', { name: 'results' })?.value).toBeGreaterThan(0);
    expect(sample('loadstone_breaker_rejections_total', { name: 'enrichment' })?.value).toBeGreaterThan(0);
    expect(
      metrics
        .get('loadstone_breaker_state')
        ?.samples.map((s) => s.labels.state)
        .sort(),
    ).toEqual(['closed', 'half-open', 'open']);
    expect(sample('loadstone_jobs_completed_total', { name: 'jobs' })?.value).toBeGreaterThan(0);
    expect(
      metrics
        .get('loadstone_jobs_depth')
        ?.samples.map((s) => s.labels.state)
        .sort(),
    ).toEqual(['active', 'completed', 'dead', 'delayed', 'failed', 'waiting']);
    expect(metrics.get('queue_workers_accepted_total')?.type).toBe('counter');
    expect(sample('queue_workers_written_total')?.value).toBeGreaterThan(0);

    const exit = await example.stop();
    expect(exit, example.output()).toEqual({ code: 0, signal: null });
    const final = finalStats(example.output());
    expect(final.accepted).toBeGreaterThan(0);
    expect(final.written, 'every accepted job is written').toBe(final.accepted);
    expect(final.inFlight).toBe(0);
    expect(final.failed).toBe(0);
    expectCleanOutput(example.output());
  });
});

describeWithRedis('examples/queue-workers (Redis)', (getRedis) => {
  const TOTAL = 500;
  let redis: Redis;
  let name: string;
  let queue: JobQueue<{ payload: string }>;
  const ids = Array.from({ length: TOTAL }, (_, i) => `job-${i}`);

  beforeEach(async () => {
    redis = new Redis(getRedis().url);
    name = `jobs-${Math.random().toString(36).slice(2)}`;
    // A producer anywhere: the same queue name on the same Redis.
    queue = new JobQueue({
      name,
      store: new RedisJobStore({ client: redis }),
      keepCompleted: { count: TOTAL },
    });
    await queue.addBulk(ids.map((id) => ({ data: { payload: `payload of ${id}` }, id })));
  });
  afterEach(async () => {
    await redis.quit();
  });

  const env = (extra: Record<string, string> = {}) => ({
    REDIS_URL: getRedis().url,
    QUEUE_NAME: name,
    OUTAGE_EVERY_MS: '0',
    ...extra,
  });
  const written = () => redis.hlen(`${name}:results`);

  /** Every added job is still in the queue (waiting, leased, completed) or written. */
  async function expectNothingLost(): Promise<void> {
    const results = new Set(await redis.hkeys(`${name}:results`));
    const missing: string[] = [];
    for (const id of ids) if (!results.has(id) && (await queue.getJob(id)) === undefined) missing.push(id);
    expect(missing).toEqual([]);
  }

  it('processes every job of the queue, in batches, and completes them', async () => {
    const example = await startExample('queue-workers', { env: env() });
    await waitFor(written, (n) => n === TOTAL);
    await waitFor(
      () => queue.counts(),
      (counts) => counts.completed === TOTAL && counts.waiting + counts.active === 0,
    );
    const result = JSON.parse((await redis.hget(`${name}:results`, 'job-42')) ?? '{}') as {
      status?: string;
    };
    expect(['enriched', 'unenriched']).toContain(result.status);
    expect((await queue.getJob('job-42'))?.result).toBe(result.status);
    const stats = await getStats(example);
    expect(stats.batches).toBeGreaterThan(0);
    expect(stats.batches).toBeLessThan(TOTAL);

    expect(await example.stop()).toEqual({ code: 0, signal: null });
    expectCleanOutput(example.output());
  });

  it('loses nothing on SIGTERM mid-way, and a restart finishes the rest', async () => {
    // 5 jobs per 100 ms batch: the 500 jobs would take 10 s, so SIGTERM lands mid-way.
    const slow = env({ CONCURRENCY: '5', BATCH_SIZE: '50', BATCH_WAIT_MS: '100' });
    const first = await startExample('queue-workers', { env: slow });
    await waitFor(written, (n) => n >= 50);
    expect(await first.stop()).toEqual({ code: 0, signal: null });
    const final = finalStats(first.output());
    expect(final.written).toBe(final.accepted);
    // A graceful stop finishes or hands back every job it held: none is left leased.
    const counts = await queue.counts();
    expect(counts.active).toBe(0);
    expect(counts.waiting, 'stopped mid-way').toBeGreaterThan(0);
    expect((await written()) + counts.waiting).toBe(TOTAL);
    await expectNothingLost();

    const second = await startExample('queue-workers', { env: env() });
    await waitFor(written, (n) => n === TOTAL);
    expect(await second.stop()).toEqual({ code: 0, signal: null });
    expectCleanOutput(first.output() + second.output());
  });

  it('loses nothing when a worker crashes: its leased jobs run again once the leases run out', async () => {
    const slow = env({
      CONCURRENCY: '20',
      BATCH_SIZE: '20',
      BATCH_WAIT_MS: '300',
      VISIBILITY_TIMEOUT_MS: '1000',
    });
    const first = await startExample('queue-workers', { env: slow });
    await waitFor(written, (n) => n >= 40);
    const exited = new Promise((resolve) => first.child.once('exit', resolve));
    first.killAll(); // SIGKILL: no chance to finish, write or hand anything back
    await exited;
    expect((await queue.counts()).active, 'the crash left jobs leased').toBeGreaterThan(0);
    await expectNothingLost();

    const second = await startExample('queue-workers', { env: env() });
    await waitFor(written, (n) => n === TOTAL);
    await waitFor(
      () => queue.counts(),
      (counts) => counts.completed === TOTAL && counts.active === 0,
    );
    expect(await second.stop()).toEqual({ code: 0, signal: null });
    expect(finalStats(second.output()).stalled).toBeGreaterThan(0);
  });
});
