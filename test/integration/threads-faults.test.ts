/**
 * WorkerThreadPool when threads die: process.exit, uncaught exceptions, out of memory, and a
 * storm of crashes under load. Real threads, built package (see threads-pool.test.ts).
 */
import { once } from 'node:events';
import { isLoadstoneError, type WorkerExitError } from 'loadstone';
import { type ThreadExitedEvent, WorkerThreadPool } from 'loadstone/threads';
import { afterEach, describe, expect, it } from 'vitest';

const TASKS = new URL('../fixtures/threads/tasks.mjs', import.meta.url);

const pools: WorkerThreadPool[] = [];
function pool(options: ConstructorParameters<typeof WorkerThreadPool>[0] = {}): WorkerThreadPool {
  const p = new WorkerThreadPool({ filename: TASKS, maxThreads: 2, ...options });
  pools.push(p);
  return p;
}
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.destroy()));
});

async function workerExit(promise: Promise<unknown>): Promise<WorkerExitError> {
  const error = await promise.then(
    () => {
      throw new Error('expected the task to reject');
    },
    (e: unknown) => e,
  );
  expect(isLoadstoneError(error, 'ERR_LOADSTONE_WORKER_EXIT')).toBe(true);
  return error as WorkerExitError;
}

describe('WorkerThreadPool: a thread that dies', () => {
  it('process.exit in a task rejects that task only; the thread is replaced', async () => {
    const p = pool({ maxThreads: 1 });
    const exited = once(p, 'thread:exited') as Promise<[ThreadExitedEvent]>;
    const error = await workerExit(p.run(3, { name: 'exit' }));
    expect(error).toMatchObject({ kind: 'thread', exitCode: 3 });
    expect((await exited)[0]).toMatchObject({ reason: 'crash', exitCode: 3 });
    expect(await p.run({ a: 1, b: 2 }, { name: 'add' })).toBe(3);
    expect(p.stats().crashes).toBe(1);
  });

  it('re-runs elsewhere the tasks pipelined behind a crash that had not started', async () => {
    const p = pool({ maxThreads: 1, pipelineDepth: 32 });
    // Short tasks first: the pool pipelines only once it has measured that tasks are short.
    await Promise.all(Array.from({ length: 200 }, (_, i) => p.run({ a: i, b: 0 }, { name: 'add' })));
    // One synchronous burst: all handed to the single thread in one message, the exit first.
    const crash = p.run(1, { name: 'exit' });
    const others = Array.from({ length: 10 }, (_, i) => p.run({ a: i, b: 100 }, { name: 'add' }));
    expect(p.stats()).toMatchObject({ running: 11, queued: 0 });
    await workerExit(crash);
    expect(await Promise.all(others)).toEqual(Array.from({ length: 10 }, (_, i) => i + 100));
    expect(p.stats()).toMatchObject({ crashes: 1, failed: 1, completed: 210 });
  });

  it('an uncaught exception in a timer rejects the task it was running, with the error as cause', async () => {
    const p = pool({ maxThreads: 1 });
    const error = await workerExit(p.run(undefined, { name: 'crashInTimer' }));
    expect((error.cause as Error).message).toBe('boom in a timer');
    expect(await p.run('after')).toBe('after');
  });

  it('out of memory under resourceLimits rejects with ERR_WORKER_OUT_OF_MEMORY as cause', async () => {
    const p = pool({
      maxThreads: 1,
      resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 4 },
    });
    const error = await workerExit(p.run(undefined, { name: 'leak' }));
    expect((error.cause as { code?: string }).code).toBe('ERR_WORKER_OUT_OF_MEMORY');
    expect(await p.run('after')).toBe('after');
  });

  it('fails the tasks of a thread that cannot start instead of retrying forever', async () => {
    const p = pool({
      maxThreads: 1,
      execArgv: ['--import', 'data:text/javascript,throw new Error("no boot")'],
    });
    await workerExit(p.run(1));
    await workerExit(p.run(2));
  });

  it('survives a storm: 1,000 tasks with random crashes', async () => {
    const p = pool({ maxThreads: 2, maxQueue: 1000 });
    // Deterministic "random" crash positions: about 2 % of the tasks call process.exit.
    let seed = 42;
    const random = (): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const crashes = new Set<number>();
    const results = Array.from({ length: 1000 }, (_, i) => {
      if (random() < 0.02) {
        crashes.add(i);
        return p.run(1, { name: 'exit' }).then(
          () => ({ i, ok: true as const, value: undefined }),
          (error: unknown) => ({ i, ok: false as const, error }),
        );
      }
      return p.run({ a: i, b: 1 }, { name: 'add' }).then(
        (value) => ({ i, ok: true as const, value }),
        (error: unknown) => ({ i, ok: false as const, error }),
      );
    });
    const settled = await Promise.all(results);
    expect(crashes.size).toBeGreaterThan(5);
    for (const r of settled) {
      if (crashes.has(r.i)) {
        expect(r.ok).toBe(false);
        expect(isLoadstoneError((r as { error: unknown }).error, 'ERR_LOADSTONE_WORKER_EXIT')).toBe(true);
      } else {
        expect(r).toEqual({ i: r.i, ok: true, value: r.i + 1 });
      }
    }
    expect(p.stats()).toMatchObject({
      crashes: crashes.size,
      failed: crashes.size,
      completed: 1000 - crashes.size,
    });
    expect((await p.check()).status).toBe('healthy');
    expect(await p.run({ a: 1, b: 1 }, { name: 'add' })).toBe(2);
  });
});
