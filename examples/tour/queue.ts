// The queue section of `npm run example:tour`: priorities and load shedding with PriorityTaskQueue.
// Self-contained, about two seconds, no network.
import { setTimeout as sleep } from 'node:timers/promises';
import { isLoadstoneError, ManualLoadSignal } from 'loadstone';
import { PriorityTaskQueue } from 'loadstone/queue';

const LEVELS = ['critical', 'high', 'medium', 'low'] as const;
type Level = (typeof LEVELS)[number];

/** A small deterministic PRNG, so the tour prints the same tables every run. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function priorities(): Promise<void> {
  console.log('\nPriorityTaskQueue, part 1: 40 requests of mixed priority, 2 at a time, 10 ms each');
  const random = seeded(1);
  const queue = new PriorityTaskQueue({ concurrency: 2 });
  const waits = new Map<Level, number[]>(LEVELS.map((level) => [level, []]));
  queue.pause(); // the burst arrives at once; priority decides who goes first
  const started = performance.now();
  const tasks = Array.from({ length: 40 }, () => {
    const level = LEVELS[Math.floor(random() * LEVELS.length)] as Level;
    return queue.add(
      async () => {
        waits.get(level)?.push(performance.now() - started);
        await sleep(10);
      },
      { priority: level },
    );
  });
  queue.resume();
  await Promise.all(tasks);
  console.log('  level      tasks  first start  last start');
  for (const [level, list] of waits) {
    if (list.length === 0) continue;
    const first = Math.min(...list)
      .toFixed(0)
      .padStart(8);
    const last = Math.max(...list)
      .toFixed(0)
      .padStart(8);
    console.log(`  ${level.padEnd(9)} ${String(list.length).padStart(6)}  ${first} ms  ${last} ms`);
  }
  await queue.close();
}

async function shedding(): Promise<void> {
  console.log('\nPriorityTaskQueue, part 2: load shedding driven by a load signal');
  console.log('  (degraded: concurrency 8 -> 2; critical: only critical and high are admitted)');
  const random = seeded(2);
  const load = new ManualLoadSignal();
  const queue = new PriorityTaskQueue({
    concurrency: 8,
    maxQueued: 200,
    loadSignal: load,
    shed: { minPriority: 'high', degradedConcurrency: 2 },
  });
  console.log(`  ${'phase'.padEnd(9)} peak running  ${LEVELS.map((l) => l.padStart(16)).join('')}`);
  console.log(`  ${''.padEnd(9)} ${''.padEnd(12)}  ${LEVELS.map(() => 'ran/added'.padStart(16)).join('')}`);
  for (const phase of ['healthy', 'degraded', 'critical', 'healthy'] as const) {
    load.set(phase, 'demo');
    const counts = new Map<Level, { added: number; done: number; shed: number }>(
      LEVELS.map((level) => [level, { added: 0, done: 0, shed: 0 }]),
    );
    let peak = 0;
    const tasks: Promise<void>[] = [];
    for (let i = 0; i < 60; i++) {
      const level = LEVELS[Math.floor(random() * LEVELS.length)] as Level;
      const count = counts.get(level) as { added: number; done: number; shed: number };
      count.added++;
      tasks.push(
        queue
          .add(
            async () => {
              peak = Math.max(peak, queue.pending);
              await sleep(5);
            },
            { priority: level },
          )
          .then(
            () => {
              count.done++;
            },
            (error: unknown) => {
              if (isLoadstoneError(error, 'ERR_LOADSTONE_SHED')) count.shed++;
              else throw error;
            },
          ),
      );
      await sleep(1);
    }
    await Promise.all(tasks);
    const cells = LEVELS.map((level) => {
      const c = counts.get(level) as { added: number; done: number; shed: number };
      return `${c.done}/${c.added}${c.shed > 0 ? ` (${c.shed} shed)` : ''}`.padStart(16);
    });
    console.log(`  ${phase.padEnd(9)} ${String(peak).padStart(12)}  ${cells.join('')}`);
  }
  const stats = queue.stats();
  console.log(
    `  totals: offered ${stats.added + stats.shed}, shed ${stats.shed}, admitted ${stats.added}, completed ${stats.completed}`,
  );
  await queue.close();
}

/** Shows priorities and load shedding in a couple of seconds, printing two short tables. */
export async function queueDemo(): Promise<void> {
  await priorities();
  await shedding();
}
