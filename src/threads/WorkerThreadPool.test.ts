import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { expectInvalidOption } from '../../test/helpers/expectInvalidOption.js';
import { isLoadstoneError } from '../core/errors/index.js';
import { WorkerThreadPool } from './WorkerThreadPool.js';
import type { WorkerThreadPoolOptions } from './WorkerThreadPoolOptions.js';

const TASKS = fileURLToPath(new URL('../../test/fixtures/threads/tasks.mjs', import.meta.url));

describe('WorkerThreadPool options', () => {
  const cases: [WorkerThreadPoolOptions, string, string][] = [
    [{ filename: '' }, 'options.filename', 'a non-empty string'],
    [{ filename: new URL('https://example.com/w.js') }, 'options.filename', 'a path or a file: URL'],
    [{ name: '' }, 'options.name', 'a non-empty string'],
    [{ maxThreads: 0 }, 'options.maxThreads', 'an integer from 1 to 1024'],
    [{ maxThreads: 1.5 }, 'options.maxThreads', 'an integer from 1 to 1024'],
    [{ maxThreads: 2, minThreads: 3 }, 'options.minThreads', 'an integer from 0 to 2'],
    [{ idleTimeoutMs: -1 }, 'options.idleTimeoutMs', 'an integer from 0'],
    [{ maxQueue: -1 }, 'options.maxQueue', 'an integer >= 0'],
    [{ taskTimeoutMs: Number.NaN }, 'options.taskTimeoutMs', 'an integer from 0'],
    [{ pipelineDepth: 0 }, 'options.pipelineDepth', 'an integer from 1 to 1024'],
    [{ resourceLimits: 5 as never }, 'options.resourceLimits', 'an object'],
    [{ env: 'x' as never }, 'options.env', 'an object or worker_threads.SHARE_ENV'],
    [{ execArgv: [1] as never }, 'options.execArgv', 'an array of strings'],
    [{ recordTiming: 'yes' as never }, 'options.recordTiming', 'a boolean'],
  ];
  it.each(cases)('rejects %j (%s)', (options, option, expected) => {
    expectInvalidOption(() => new WorkerThreadPool(options), option, expected);
  });

  it('rejects bad per-call options as a rejection, never a throw', async () => {
    const pool = new WorkerThreadPool({ filename: TASKS, maxThreads: 1 });
    const attempts = [
      pool.run(1, { priority: 0.5 }),
      pool.run(1, { timeoutMs: -1 }),
      pool.run(1, { signal: {} as AbortSignal }),
      pool.run(1, { name: '' }),
      pool.run(1, { transferList: 'x' as never }),
    ];
    for (const attempt of attempts) {
      const error = await attempt.catch((e: unknown) => e);
      expect(isLoadstoneError(error, 'ERR_LOADSTONE_INVALID_OPTION')).toBe(true);
    }
    expect(pool.threads).toBe(0);
    await pool.close();
  });

  it('rejects a run when neither the pool nor the call names a module', async () => {
    const pool = new WorkerThreadPool({ maxThreads: 1 });
    await expect(pool.run(1)).rejects.toMatchObject({
      code: 'ERR_LOADSTONE_INVALID_OPTION',
      option: 'options.filename',
    });
    await pool.close();
  });

  it('refuses work after close, and an idle pool closes at once', async () => {
    const pool = new WorkerThreadPool({ filename: TASKS });
    await pool.close();
    await expect(pool.run(1)).rejects.toMatchObject({ code: 'ERR_LOADSTONE_CLOSED' });
    expect(pool.closed).toBe(true);
    expect(await pool.check()).toMatchObject({ status: 'critical', message: 'closed' });
  });
});

describe('WorkerThreadPool with threads (needs the build: the thread runtime is loadstone/threads/worker)', () => {
  it('runs named exports off the event loop', async () => {
    // #region workerThreadPool
    // hash.worker.mjs exports functions, e.g. `export function add({ a, b }) { return a + b; }`
    const pool = new WorkerThreadPool({ filename: TASKS, maxThreads: 2, maxQueue: 1_000 });
    const sum = await pool.run<number>({ a: 2, b: 40 }, { name: 'add' });
    const echoed = await pool.run('hello'); // the default export
    const controller = new AbortController();
    const slow = pool.run(50, { name: 'spin', signal: controller.signal, priority: 1 });
    controller.abort(new Error('client went away')); // queued: removed; running: thread replaced
    await slow.catch((error: unknown) => console.log((error as Error).message)); // client went away
    console.log(pool.stats().completed, (await pool.check()).status); // 2 healthy
    await pool.close(); // finishes accepted tasks, then ends the threads
    // #endregion workerThreadPool
    expect(sum).toBe(42);
    expect(echoed).toBe('hello');
    await expect(slow).rejects.toThrow('client went away');
    expect(pool.threads).toBe(0);
  });
});
