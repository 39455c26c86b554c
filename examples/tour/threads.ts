// Tour section: password hashing on the event loop vs through a WorkerThreadPool.
// While 16 scrypt hashes run, a timer measures how late the event loop answers (what every other
// request on the server would feel): on the loop, each hash blocks it for tens of ms; through the
// pool the loop stays free. Self-contained: the worker module is written to a temp file.
import { scryptSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { WorkerThreadPool } from 'loadstone/threads';

const HASHES = 16;
/** scrypt cost 2^13: half of Node's default, about 15–30 ms per hash on a small VM. */
const COST = 2 ** 13;

const WORKER_SOURCE = `import { scryptSync } from 'node:crypto';
export function hash({ password, salt, cost }) {
  return scryptSync(password, salt, 64, { N: cost }).toString('hex');
}
`;

type Outcome = { readonly ms: number; readonly p99: number; readonly max: number };

async function measure(work: () => Promise<unknown>): Promise<Outcome> {
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  const start = performance.now();
  await work();
  const ms = performance.now() - start;
  delay.disable();
  return { ms, p99: delay.percentile(99) / 1e6, max: delay.max / 1e6 };
}

/** Prints event-loop delay while hashing passwords on the loop, then through the pool. */
export async function threadsDemo(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'loadstone-threads-demo-'));
  const filename = join(dir, 'hash.worker.mjs');
  writeFileSync(filename, WORKER_SOURCE);
  const pool = new WorkerThreadPool({ filename, maxThreads: 2, minThreads: 2 });
  try {
    const inputs = Array.from({ length: HASHES }, (_, i) => ({
      password: `hunter${i}`,
      salt: `salt${i}`,
      cost: COST,
    }));
    // Warm both sides (thread start, module load) so the comparison is of steady state.
    await Promise.all([pool.run(inputs[0], { name: 'hash' }), pool.run(inputs[1], { name: 'hash' })]);

    const onLoop = await measure(async () => {
      for (const input of inputs) {
        scryptSync(input.password, input.salt, 64, { N: input.cost });
        // Let the timer (and, in a server, other requests) in between two hashes.
        await new Promise((resolve) => setImmediate(resolve));
      }
    });
    const viaPool = await measure(() =>
      Promise.all(inputs.map((input) => pool.run(input, { name: 'hash' }))),
    );

    console.log(`\nPassword hashing: ${HASHES} scrypt hashes (N=${COST}), event-loop delay while they run`);
    const row = (label: string, o: Outcome): string =>
      `  ${label.padEnd(28)} total ${o.ms.toFixed(0).padStart(5)} ms   loop delay p99 ${o.p99.toFixed(1).padStart(6)} ms   max ${o.max.toFixed(1).padStart(6)} ms`;
    console.log(row('on the event loop', onLoop));
    console.log(row('WorkerThreadPool (2 threads)', viaPool));
    const stats = pool.stats();
    console.log(
      `  pool: ${stats.completed} tasks, run time p50 ${stats.runTime.p50Ms.toFixed(1)} ms, wait p99 ${stats.waitTime.p99Ms.toFixed(1)} ms`,
    );
  } finally {
    await pool.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
