// Durable job queues on one real redis-server: loadstone's JobQueue/JobWorker against BullMQ and
// bee-queue, in the same run, each at its defaults. Bulk throughput, add→start latency at a steady
// rate, Redis commands and memory per job, recovery after a consumer's SIGKILL, and one queue
// spread over a 3-master Redis Cluster.
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { build as buildHistogram } from 'hdr-histogram-js';
import { Redis } from 'ioredis';
import { JobQueue, RedisJobStore } from 'loadstone/jobs';
import { type RedisClusterHandle, startRedisCluster } from '../../test/helpers/redisCluster.js';
import { type BenchQueue, JOB_CONTENDERS, type JobsContender, loadstoneJobs } from '../jobs/contenders.js';
import { startBenchRedis } from '../redis.js';
import { formatFixed, formatInt, formatRatio, markdownTable } from '../report.js';
import { defineSuite, type SuiteContext } from '../suite.js';

const CONSUMER = fileURLToPath(new URL('../jobs/consumer.ts', import.meta.url));
const CONCURRENCY = 50;

let queueSeq = 0;
const queueName = (contender: JobsContender) => `bench-${contender.name}-${process.pid}-${queueSeq++}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

/** Adds `count` jobs in bulk, then processes them with a no-op handler: jobs/s of each phase. */
async function bulkRound(
  contender: JobsContender,
  url: string,
  count: number,
  options?: Parameters<JobsContender['make']>[2],
) {
  const queue = contender.make(url, queueName(contender), options);
  try {
    const addStart = performance.now();
    await queue.addBulk(count);
    const addMs = performance.now() - addStart;
    let done = 0;
    let finish!: () => void;
    const all = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const workStart = performance.now();
    await queue.work(CONCURRENCY, () => {
      if (++done === count) finish();
    });
    await all;
    const workMs = performance.now() - workStart;
    return { addPerSec: (count / addMs) * 1000, processPerSec: (count / workMs) * 1000 };
  } finally {
    await queue.close();
  }
}

async function bulk(ctx: SuiteContext, redis: Redis, url: string) {
  const count = ctx.quick ? 2_000 : 20_000;
  const rounds = ctx.quick ? 1 : 5;
  const results = new Map<string, { add: number[]; process: number[] }>();
  for (let round = 0; round < rounds; round++) {
    // Rotate the order each round, so no library always runs on a warmer Redis.
    const order = JOB_CONTENDERS.map(
      (_, i) => JOB_CONTENDERS[(i + round) % JOB_CONTENDERS.length] as JobsContender,
    );
    for (const contender of order) {
      await redis.flushall();
      ctx.log(`jobs/bulk: ${contender.name}, round ${round + 1}`);
      const r = await bulkRound(contender, url, count);
      const entry = results.get(contender.name) ?? { add: [], process: [] };
      entry.add.push(r.addPerSec);
      entry.process.push(r.processPerSec);
      results.set(contender.name, entry);
    }
  }
  const base = median(results.get('bullmq')?.process ?? [Number.NaN]);
  const rows = JOB_CONTENDERS.map((c) => {
    const r = results.get(c.name) as { add: number[]; process: number[] };
    return [
      c.name,
      formatInt(median(r.add)),
      formatInt(median(r.process)),
      `${formatInt(Math.min(...r.process))} – ${formatInt(Math.max(...r.process))}`,
      formatRatio(median(r.process) / base),
    ];
  });
  ctx.report(
    'bulk',
    `Jobs — ${formatInt(count)} jobs added in bulk, then processed by a no-op handler at concurrency ${CONCURRENCY}`,
    `${markdownTable(['queue', 'bulk add jobs/s', 'process jobs/s (median)', 'min – max', 'process vs BullMQ'], rows)}\n\n` +
      `Median of ${rounds} round(s), the order rotated each round, Redis flushed before each. Adds go in batches of 1,000. ` +
      JOB_CONTENDERS.map((c) => c.title).join('; ') +
      '.',
  );
}

/** A steady `rate` jobs/s for `seconds`: add → handler start, in ms. */
async function latency(ctx: SuiteContext, redis: Redis, url: string) {
  const rate = 1_000;
  const seconds = ctx.quick ? 1 : 10;
  const rows: string[][] = [];
  const p99s = new Map<string, number>();
  for (const contender of JOB_CONTENDERS) {
    await redis.flushall();
    ctx.log(`jobs/latency: ${contender.name}`);
    const queue = contender.make(url, queueName(contender));
    const histogram = buildHistogram({
      lowestDiscernibleValue: 1,
      highestTrackableValue: 60_000_000,
      numberOfSignificantValueDigits: 3,
    });
    let seen = 0;
    await queue.work(CONCURRENCY, (data) => {
      histogram.recordValue(Math.max(1, Math.round((performance.now() - data.t) * 1_000)));
      seen++;
    });
    await sleep(200); // every worker connection up and waiting
    const total = rate * seconds;
    const start = performance.now();
    const adds: Promise<void>[] = [];
    for (let i = 0; i < total; i++) {
      const due = start + (i * 1_000) / rate;
      const wait = due - performance.now();
      if (wait > 1) await sleep(wait);
      adds.push(queue.add({ t: performance.now(), i }));
    }
    await Promise.all(adds);
    while (seen < total) await sleep(10);
    await queue.close();
    const ms = (q: number) => histogram.getValueAtPercentile(q) / 1_000;
    p99s.set(contender.name, ms(99));
    rows.push([
      contender.name,
      formatFixed(ms(50), 2),
      formatFixed(ms(99), 2),
      formatFixed(ms(99.9), 2),
      formatFixed(histogram.maxValue / 1_000, 1),
    ]);
    histogram.destroy();
  }
  for (const row of rows)
    row.push(formatRatio((p99s.get(row[0] as string) as number) / (p99s.get('bullmq') as number)));
  ctx.report(
    'latency',
    `Jobs — add → handler start at a steady ${formatInt(rate)} jobs/s (ms)`,
    `${markdownTable(['queue', 'p50', 'p99', 'p99.9', 'max', 'p99 vs BullMQ'], rows)}\n\n` +
      `${formatInt(rate * seconds)} jobs, one \`add\` each, paced at ${formatInt(rate)}/s from one process; the worker (concurrency ${CONCURRENCY}) runs in the same process, so both ends share one clock. HDR histogram, µs resolution.`,
  );
}

/** INFO commandstats and INFO memory around adding and processing `count` jobs. */
async function cost(ctx: SuiteContext, redis: Redis, url: string) {
  const count = ctx.quick ? 1_000 : 20_000;
  const rows: string[][] = [];
  for (const contender of JOB_CONTENDERS) {
    await redis.flushall();
    await sleep(50);
    ctx.log(`jobs/cost: ${contender.name}`);
    const queue = contender.make(url, queueName(contender));
    await queue.work(1, () => undefined); // connect the worker (idle polls count too)
    await queue.close();
    await redis.flushall();
    await redis.config('RESETSTAT');
    const fresh = contender.make(url, queueName(contender));
    await fresh.addBulk(count);
    const waiting = await keyBytes(redis);
    let done = 0;
    let finish!: () => void;
    const all = new Promise<void>((resolve) => {
      finish = resolve;
    });
    await fresh.work(CONCURRENCY, () => {
      if (++done === count) finish();
    });
    await all;
    await sleep(100);
    const calls = await commandCalls(redis);
    const after = await keyBytes(redis);
    await fresh.close();
    rows.push([
      contender.name,
      formatFixed(calls / count, 1),
      formatInt(waiting / count),
      formatInt(after / count),
    ]);
  }
  ctx.report(
    'cost',
    `Jobs — Redis work and memory per job (${formatInt(count)} jobs)`,
    `${markdownTable(['queue', 'Redis commands / job (add + run)', 'bytes / waiting job', 'bytes / job after completion'], rows)}\n\n` +
      '`INFO commandstats` (every command, those a script runs included, the `INFO` calls themselves excluded) after `CONFIG RESETSTAT`, and the sum of `MEMORY USAGE key SAMPLES 0` over every key (exact, not sampled), on a flushed Redis. Bulk adds of 1,000; the worker at concurrency 50. Each library keeps what its defaults keep after completion (BullMQ and bee-queue: every job; loadstone: 1,000 records per partition).',
  );
}

/** Bytes every key holds (`MEMORY USAGE key SAMPLES 0`: exact, allocator overhead included). */
async function keyBytes(redis: Redis): Promise<number> {
  let bytes = 0;
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'COUNT', 1_000);
    cursor = next;
    const sizes = await Promise.all(keys.map((key) => redis.memory('USAGE', key, 'SAMPLES', 0)));
    for (const size of sizes) bytes += Number(size ?? 0);
  } while (cursor !== '0');
  return bytes;
}

async function commandCalls(redis: Redis): Promise<number> {
  const info = await redis.info('commandstats');
  let calls = 0;
  for (const match of info.matchAll(/cmdstat_(\w+(?:\|\w+)?):calls=(\d+)/g)) {
    if (match[1] === 'info' || match[1] === 'config|resetstat') continue;
    calls += Number(match[2]);
  }
  return calls;
}

/** SIGKILL a consumer holding a job; time until a consumer started afterwards runs it. */
async function recovery(ctx: SuiteContext, redis: Redis, url: string) {
  const capMs = ctx.quick ? 15_000 : 120_000;
  const contenders = ctx.quick ? [loadstoneJobs] : JOB_CONTENDERS;
  const rows: string[][] = [];
  const times = new Map<string, number>();
  for (const contender of contenders) {
    await redis.flushall();
    ctx.log(`jobs/recovery: ${contender.name} (up to ${capMs / 1_000} s)`);
    const name = queueName(contender);
    const producer = contender.make(url, name);
    await producer.add({ t: 0, i: 0 });
    const child: ChildProcess = fork(CONSUMER, {
      execArgv: process.execArgv.filter((a) => a !== '--expose-gc'),
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    const took = new Promise((resolve) => child.once('message', resolve));
    child.send({ contender: contender.name, url, queue: name });
    await took;
    let ranAt = 0;
    const killedAt = performance.now();
    child.kill('SIGKILL');
    await producer.work(1, () => {
      ranAt = performance.now();
    });
    // bee-queue brings stalled jobs back only when someone calls checkStalledJobs (its README:
    // "run it from one or two processes"); give it the interval its docs use.
    const checker = contender.name === 'bee-queue' ? beeStallCheck(url, name) : undefined;
    while (ranAt === 0 && performance.now() - killedAt < capMs) await sleep(20);
    await checker?.close();
    await producer.close();
    const ms = ranAt === 0 ? Number.POSITIVE_INFINITY : ranAt - killedAt;
    times.set(contender.name, ms);
    rows.push([
      contender.name,
      ms === Number.POSITIVE_INFINITY ? `> ${formatInt(capMs / 1_000)} s` : formatFixed(ms / 1_000, 1),
    ]);
  }
  if (times.has('bullmq')) {
    for (const row of rows)
      row.push(formatRatio((times.get(row[0] as string) as number) / (times.get('bullmq') as number)));
  }
  ctx.report(
    'recovery',
    'Jobs — from a consumer’s SIGKILL until its job runs elsewhere (s), default settings',
    `${markdownTable(times.has('bullmq') ? ['queue', 'seconds', 'vs BullMQ'] : ['queue', 'seconds'], rows)}\n\n` +
      'A child process takes the only job with a handler that never ends and is SIGKILLed; a consumer started at once in the bench process runs the job again. Defaults: loadstone `visibilityTimeoutMs` 5 s (expired leases are swept on every take); BullMQ `lockDuration` 30 s, `stalledInterval` 30 s; bee-queue `stallInterval` 5 s with `checkStalledJobs(5000)` running (it is not automatic).' +
      (ctx.quick ? ' `--quick`: loadstone only.' : ''),
  );
}

function beeStallCheck(url: string, name: string) {
  // Imported lazily: only this case needs a bee-queue handle of its own.
  let queue: { checkStalledJobs(interval: number): unknown; close(ms: number): Promise<void> } | undefined;
  const ready = import('bee-queue').then(({ default: BeeQueue }) => {
    const { hostname, port } = new URL(url);
    queue = new BeeQueue(name, {
      redis: { host: hostname, port: Number(port) },
      isWorker: false,
      getEvents: false,
    });
    queue.checkStalledJobs(5_000);
  });
  return {
    close: async () => {
      await ready;
      await queue?.close(1_000);
    },
  };
}

/** The cost of a worker's store round with no delayed job waiting, and with a million. */
async function delayed(ctx: SuiteContext, redis: Redis, url: string) {
  const count = ctx.quick ? 10_000 : 1_000_000;
  const rounds = ctx.quick ? 200 : 2_000;
  await redis.flushall();
  const client = new Redis(url);
  const store = new RedisJobStore({ client });
  const measure = async (queue: JobQueue<number>): Promise<[number, number]> => {
    const histogram = buildHistogram({
      lowestDiscernibleValue: 1,
      highestTrackableValue: 60_000_000,
      numberOfSignificantValueDigits: 3,
    });
    for (let i = 0; i < rounds; i++) {
      const start = performance.now();
      await store.take({
        queue: queue.name,
        partition: 0,
        settle: [],
        max: 10,
        now: Date.now(),
        leaseMs: 5_000,
        sweepLimit: 100,
        keepCompleted: 1_000,
        keepCompletedMs: 86_400_000,
      });
      histogram.recordValue(Math.max(1, Math.round((performance.now() - start) * 1_000)));
    }
    const result: [number, number] = [
      histogram.getValueAtPercentile(50) / 1_000,
      histogram.getValueAtPercentile(99) / 1_000,
    ];
    histogram.destroy();
    return result;
  };
  try {
    const empty = new JobQueue<number>({ name: 'delayed-none', store });
    const full = new JobQueue<number>({ name: 'delayed-many', store });
    ctx.log(`jobs/delayed: adding ${formatInt(count)} delayed jobs`);
    const addStart = performance.now();
    for (let i = 0; i < count; i += 1_000) {
      await full.addBulk(
        Array.from({ length: Math.min(1_000, count - i) }, (_, j) => ({ data: i + j, delayMs: 3_600_000 })),
      );
    }
    const addMs = performance.now() - addStart;
    const [emptyP50, emptyP99] = await measure(empty);
    const [fullP50, fullP99] = await measure(full);
    const counts = await full.counts();
    ctx.report(
      'delayed',
      `Jobs — a worker's store round with ${formatInt(count)} delayed jobs waiting (ms)`,
      `${markdownTable(
        ['queue', 'delayed jobs', 'take p50', 'take p99'],
        [
          ['empty', '0', formatFixed(emptyP50, 3), formatFixed(emptyP99, 3)],
          ['with delayed jobs', formatInt(counts.delayed), formatFixed(fullP50, 3), formatFixed(fullP99, 3)],
        ],
      )}\n\n` +
        `${formatInt(rounds)} \`take\` calls (settle nothing, lease up to 10, sweep and promote up to 100) on an idle partition, one at a time. The delayed jobs are due in an hour, added with \`addBulk\` in batches of 1,000 (${formatInt((count / addMs) * 1_000)} jobs/s). A take reads the head of the delayed set, never scans it: its cost does not grow with the number waiting.`,
    );
  } finally {
    await store.close();
    client.disconnect();
  }
}

/** The same loadstone queue on a 3-master cluster: 8 partitions against 1. */
async function cluster(ctx: SuiteContext) {
  let handle: RedisClusterHandle | undefined;
  try {
    handle = await startRedisCluster();
  } catch (error) {
    ctx.log(`!!! could not start a Redis Cluster: ${String(error)}`);
  }
  if (handle === undefined) return;
  const count = ctx.quick ? 2_000 : 20_000;
  const rounds = ctx.quick ? 1 : 3;
  try {
    const perSec = new Map<number, number[]>();
    for (let round = 0; round < rounds; round++) {
      for (const partitions of round % 2 ? [8, 1] : [1, 8]) {
        ctx.log(`jobs/cluster: ${partitions} partition(s), round ${round + 1}`);
        const r = await bulkRound(loadstoneJobs, '', count, { partitions, cluster: handle.nodes });
        perSec.set(partitions, [...(perSec.get(partitions) ?? []), r.processPerSec]);
      }
    }
    const one = median(perSec.get(1) as number[]);
    const rows = [1, 8].map((p) => [
      p === 1 ? '1 partition (one slot, one master)' : '8 partitions (spread over 3 masters)',
      formatInt(median(perSec.get(p) as number[])),
      formatRatio(median(perSec.get(p) as number[]) / one),
    ]);
    ctx.report(
      'cluster',
      `Jobs — one loadstone queue on a 3-master Redis Cluster, ${formatInt(count)} jobs at concurrency ${CONCURRENCY}`,
      `${markdownTable(['layout', 'process jobs/s', 'vs 1 partition'], rows)}\n\n` +
        `Median of ${rounds} round(s). One ioredis \`Cluster\` client, one \`JobWorker\`; all three masters and the bench share this machine's cores.`,
    );
  } finally {
    await handle.stop();
  }
}

export default defineSuite({
  name: 'jobs',
  title: 'Durable jobs: JobQueue/JobWorker vs BullMQ and bee-queue',
  anchors: ['bullmq', 'bee-queue'],
  async run(ctx) {
    const cases = ['bulk', 'latency', 'cost', 'recovery', 'delayed', 'cluster'].filter((c) =>
      ctx.selected(c),
    );
    if (cases.length === 0) return;
    const server = await startBenchRedis(ctx, 'skipped', 'the durable jobs cases');
    if (server === undefined) return;
    const redis = new Redis(server.url);
    try {
      if (cases.includes('bulk')) await bulk(ctx, redis, server.url);
      if (cases.includes('latency')) await latency(ctx, redis, server.url);
      if (cases.includes('cost')) await cost(ctx, redis, server.url);
      if (cases.includes('recovery')) await recovery(ctx, redis, server.url);
      if (cases.includes('delayed')) await delayed(ctx, redis, server.url);
    } finally {
      redis.disconnect();
      await server.stop();
    }
    if (cases.includes('cluster')) await cluster(ctx);
  },
});

export type { BenchQueue };
