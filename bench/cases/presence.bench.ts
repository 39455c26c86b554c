// Presence (#17) at 100,000 online ids: how fast joins and leaves made in one process show in
// another (the fan-out a reader applies), and what one online id costs in memory, beside the
// pattern the anchors use on Redis (a sorted set, member = id, score = last seen: ZADD to join,
// ZREM to leave; see ../shared/anchors/jobs-presence-cluster.md, "Presence on Redis"), measured
// in the same run. The bus here is in-process, so the figures are Presence's own cost; over
// ClusterBus or RedisBus the transport adds its own.
import { Redis } from 'ioredis';
import { InProcessBus } from '../../src/core/index.js';
import { Presence } from '../../src/presence/index.js';
import { settleHeap } from '../gc.js';
import { startBenchRedis } from '../redis.js';
import { formatInt, markdownTable } from '../report.js';
import { defineSuite, type SuiteContext } from '../suite.js';

const BATCH = 1_000; // joins per event-loop turn: a burst of connections

function heapBytes(): number {
  settleHeap();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.external;
}

/** Resolves once `done()` holds, checking after every macrotask. */
async function until(done: () => boolean): Promise<void> {
  while (!done()) await new Promise((resolve) => setImmediate(resolve));
}

async function measurePresence(
  ids: number,
): Promise<{ joinsPerSec: number; leavesPerSec: number; bytesPerId: number }> {
  const bus = new InProcessBus();
  const reader = new Presence({ bus, maxEntries: ids * 2 });
  const writer = new Presence({ bus, maxEntries: ids * 2 });
  const before = heapBytes();
  let started = performance.now();
  for (let i = 0; i < ids; i += BATCH) {
    for (let j = i; j < Math.min(ids, i + BATCH); j++) void writer.join(`user:${j}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
  await until(() => reader.stats().online === ids);
  const joinsPerSec = ids / ((performance.now() - started) / 1000);
  // Both views hold every id: the reader's and the writer's (a process keeps the whole view).
  const bytesPerId = (heapBytes() - before) / ids / 2;
  started = performance.now();
  for (let i = 0; i < ids; i += BATCH) {
    for (let j = i; j < Math.min(ids, i + BATCH); j++) void writer.leave(`user:${j}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
  await until(() => reader.stats().online === 0);
  const leavesPerSec = ids / ((performance.now() - started) / 1000);
  await Promise.all([reader.close(), writer.close()]);
  return { joinsPerSec, leavesPerSec, bytesPerId };
}

async function measureRedis(
  url: string,
  ids: number,
): Promise<{ joinsPerSec: number; leavesPerSec: number; bytesPerId: number }> {
  const client = new Redis(url);
  try {
    await client.flushall();
    const used = async () => Number(/used_memory:(\d+)/.exec(await client.info('memory'))?.[1]);
    const before = await used();
    let started = performance.now();
    for (let i = 0; i < ids; i += BATCH) {
      const now = Date.now();
      const pipeline = client.pipeline();
      for (let j = i; j < Math.min(ids, i + BATCH); j++) pipeline.zadd('presence', now, `user:${j}`);
      await pipeline.exec();
    }
    const joinsPerSec = ids / ((performance.now() - started) / 1000);
    const bytesPerId = ((await used()) - before) / ids;
    started = performance.now();
    for (let i = 0; i < ids; i += BATCH) {
      const pipeline = client.pipeline();
      for (let j = i; j < Math.min(ids, i + BATCH); j++) pipeline.zrem('presence', `user:${j}`);
      await pipeline.exec();
    }
    const leavesPerSec = ids / ((performance.now() - started) / 1000);
    return { joinsPerSec, leavesPerSec, bytesPerId };
  } finally {
    client.disconnect();
  }
}

async function measure(ctx: SuiteContext): Promise<void> {
  const ids = ctx.quick ? 10_000 : 100_000;
  ctx.log(`presence: ${formatInt(ids)} ids`);
  await measurePresence(Math.min(ids, 10_000)); // warm-up
  const presence = await measurePresence(ids);
  const server = await startBenchRedis(ctx, 'presence-redis', 'Presence — Redis sorted-set anchor');
  const redis = server === undefined ? undefined : await measureRedis(server.url, ids);
  await server?.stop();
  const rows = [
    ['**Presence** (in-process bus: its own cost)', presence],
    ...(redis === undefined
      ? []
      : [['Redis sorted set, pipelined ZADD / ZREM (one local redis-server)', redis] as const]),
  ] as const;
  ctx.report(
    'presence',
    `Presence — ${formatInt(ids)} online ids`,
    `${markdownTable(
      ['contender', 'joins/s seen by a reader', 'leaves/s seen by a reader', 'bytes per online id'],
      rows.map(([name, r]) => [
        name,
        formatInt(r.joinsPerSec),
        formatInt(r.leavesPerSec),
        formatInt(r.bytesPerId),
      ]),
      ['l', 'r', 'r', 'r'],
    )}\n\nJoins come in bursts of ${formatInt(BATCH)} per event-loop turn (one bus message per burst). Presence's rate is from the first join to the moment another process's view holds every id; its memory is heap per id per process (every process holds the whole view: id, holder, meta). Redis's memory is used_memory per id, once for all processes; its rate is the writes alone, with no reader told (a reader would poll ZRANGEBYSCORE or subscribe separately).`,
  );
}

export default defineSuite({
  name: 'presence',
  title: 'Presence: fan-out and memory at 100,000 ids',
  anchors: ['ioredis'],
  async run(ctx) {
    if (ctx.selected('presence')) await measure(ctx);
  },
});
