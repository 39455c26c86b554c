/**
 * WorkerThreadPool with real worker threads, through the BUILT package (`loadstone/threads`
 * resolves to dist/ by package self-reference; `npm test` builds first).
 */
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { isLoadstoneError } from 'loadstone';
import { type ThreadExitedEvent, WorkerThreadPool } from 'loadstone/threads';
import { afterEach, describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const TASKS = new URL('../fixtures/threads/tasks.mjs', import.meta.url);
const TASKS_CJS = fileURLToPath(new URL('../fixtures/threads/tasks.cjs', import.meta.url));

const pools: WorkerThreadPool[] = [];
function pool(options: ConstructorParameters<typeof WorkerThreadPool>[0] = {}): WorkerThreadPool {
  const p = new WorkerThreadPool({ filename: TASKS, maxThreads: 2, ...options });
  pools.push(p);
  return p;
}
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.destroy()));
});

describe('WorkerThreadPool: calling worker functions', () => {
  it('calls named and default exports of an ESM module given as a URL', async () => {
    const p = pool();
    expect(await p.run({ a: 2, b: 3 }, { name: 'add' })).toBe(5);
    expect(await p.run('echo')).toBe('echo');
    expect(await p.run({ ms: 5, value: 'later' }, { name: 'delayed' })).toBe('later');
  });

  it('calls a CommonJS module (module.exports function and its properties), per task or per pool', async () => {
    const cjs = pool({ filename: TASKS_CJS });
    expect(await cjs.run(4)).toBe(16);
    expect(await cjs.run(3, { name: 'cube' })).toBe(27);
    const esm = pool();
    expect(await esm.run(5, { filename: TASKS_CJS })).toBe(25);
    expect(await esm.run({ a: 1, b: 1 }, { name: 'add' })).toBe(2);
  });

  it('hands workerData to the module unchanged', async () => {
    const p = pool({ workerData: { region: 'eu', n: 1 } });
    expect(await p.run(undefined, { name: 'workerData' })).toEqual({ region: 'eu', n: 1 });
  });

  it('rejects with the worker error, keeping name, message, stack and own fields', async () => {
    const p = pool();
    const error = await p.run('bad input', { name: 'fail' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({
      name: 'RangeError',
      message: 'bad input',
      code: 'E_TASK',
      details: { retry: false },
    });
    expect((error as Error).stack).toContain('tasks.mjs');
    await expect(p.run(undefined, { name: 'throwString' })).rejects.toBe('plain string');
    expect(await p.run({ a: 1, b: 2 }, { name: 'add' })).toBe(3);
  });

  it('rejects a missing export, an unclonable payload and an unclonable result, and keeps going', async () => {
    const p = pool();
    await expect(p.run(1, { name: 'nope' })).rejects.toThrow(/no exported function "nope"/);
    // Task names are data: what every object inherits is not an export, in ESM or CommonJS.
    const cjs = pool({ filename: TASKS_CJS });
    for (const name of ['constructor', 'toString', 'hasOwnProperty', '__proto__']) {
      await expect(p.run(1, { name })).rejects.toThrow(/no exported function/);
      await expect(cjs.run(1, { name })).rejects.toThrow(/no exported function/);
    }
    await expect(p.run(() => 1, { name: 'noop' })).rejects.toThrow(/could not be cloned/);
    await expect(p.run(undefined, { name: 'unclonable' })).rejects.toThrow(/could not be sent/);
    expect(await p.run({ a: 2, b: 2 }, { name: 'add' })).toBe(4);
  });

  it('moves transferables instead of copying, both ways', async () => {
    const p = pool();
    const input = new ArrayBuffer(1024 * 1024);
    const result = p.run(input, { name: 'byteLength', transferList: [input] });
    expect(await result).toBe(1024 * 1024);
    expect(input.byteLength).toBe(0);
    const bytes = await p.run<Uint8Array>(1024, { name: 'fill' });
    expect(bytes).toBeInstanceOf(Uint8Array);
    expect(bytes.length).toBe(1024);
    expect(bytes[1023]).toBe(7);
  });

  it('runs higher priorities first, call order within a priority', async () => {
    const p = pool({ maxThreads: 1, pipelineDepth: 1 });
    const order: string[] = [];
    const blocker = p.run({ ms: 30, value: 'blocker' }, { name: 'delayed' });
    const tasks = [
      p.run('low', { priority: -1 }).then((v) => order.push(v as string)),
      p.run('normal-1').then((v) => order.push(v as string)),
      p.run('high', { priority: 5 }).then((v) => order.push(v as string)),
      p.run('normal-2').then((v) => order.push(v as string)),
    ];
    await blocker;
    await Promise.all(tasks);
    expect(order).toEqual(['high', 'normal-1', 'normal-2', 'low']);
  });

  it('works from the CommonJS build (require)', async () => {
    const code = `const { WorkerThreadPool } = require('loadstone/threads');
      const pool = new WorkerThreadPool({ filename: ${JSON.stringify(fileURLToPath(TASKS))}, maxThreads: 1 });
      Promise.all([pool.run({ a: 20, b: 22 }, { name: 'add' }), pool.run(6, { filename: ${JSON.stringify(TASKS_CJS)} })])
        .then((r) => { console.log(JSON.stringify(r)); return pool.close(); });`;
    const { stdout } = await promisify(execFile)(process.execPath, ['-e', code], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(JSON.parse(stdout)).toEqual([42, 36]);
  });
});

describe('WorkerThreadPool: backpressure, cancellation and timeouts', () => {
  it('rejects at once with CapacityExceededError beyond maxQueue', async () => {
    const p = pool({ maxThreads: 1, maxQueue: 2, pipelineDepth: 1 });
    const running = p.run({ ms: 30, value: 1 }, { name: 'delayed' });
    const queued = [p.run(2), p.run(3)];
    const refused = await p.run(4).catch((e: unknown) => e);
    expect(isLoadstoneError(refused, 'ERR_LOADSTONE_CAPACITY')).toBe(true);
    expect(await Promise.all([running, ...queued])).toEqual([1, 2, 3]);
    expect(p.stats()).toMatchObject({ completed: 3, failed: 1 });
  });

  it('removes an aborted queued task, rejecting with signal.reason unchanged', async () => {
    const p = pool({ maxThreads: 1, pipelineDepth: 1 });
    const exits: ThreadExitedEvent[] = [];
    p.on('thread:exited', (e) => exits.push(e));
    const running = p.run({ ms: 30, value: 'kept' }, { name: 'delayed' });
    const controller = new AbortController();
    const queued = p.run('dropped', { signal: controller.signal });
    const reason = new Error('user went away');
    controller.abort(reason);
    await expect(queued).rejects.toBe(reason);
    expect(await running).toBe('kept');
    expect(exits).toEqual([]);
    const pre = new AbortController();
    pre.abort(reason);
    await expect(p.run(1, { signal: pre.signal })).rejects.toBe(reason);
  });

  it('ends and replaces the thread of an aborted running task', async () => {
    const p = pool({ maxThreads: 1 });
    const controller = new AbortController();
    const created = once(p, 'thread:created');
    const running = p.run(undefined, { name: 'forever', signal: controller.signal });
    await created;
    const exited = once(p, 'thread:exited') as Promise<[ThreadExitedEvent]>;
    controller.abort(new Error('stop'));
    await expect(running).rejects.toThrow('stop');
    expect((await exited)[0].reason).toBe('abort');
    expect(await p.run({ a: 1, b: 2 }, { name: 'add' })).toBe(3);
  });

  it('times out running and queued tasks with TimeoutError', async () => {
    const p = pool({ maxThreads: 1 });
    const exited = once(p, 'thread:exited') as Promise<[ThreadExitedEvent]>;
    const running = p.run(undefined, { name: 'forever', timeoutMs: 50 });
    const queued = p.run(1, { timeoutMs: 20 });
    const queuedError = await queued.catch((e: unknown) => e);
    expect(isLoadstoneError(queuedError, 'ERR_LOADSTONE_TIMEOUT')).toBe(true);
    const runningError = await running.catch((e: unknown) => e);
    expect(isLoadstoneError(runningError, 'ERR_LOADSTONE_TIMEOUT')).toBe(true);
    expect((await exited)[0].reason).toBe('timeout');
    expect(await p.run(2)).toBe(2);
  });

  it('applies taskTimeoutMs to every task, and a queued timeout leaves the running thread alone', async () => {
    const p = pool({ maxThreads: 1, taskTimeoutMs: 5_000 });
    const exits: ThreadExitedEvent[] = [];
    p.on('thread:exited', (e) => exits.push(e));
    const running = p.run({ ms: 40, value: 'done' }, { name: 'delayed' });
    const queued = p.run(1, { timeoutMs: 10 });
    await expect(queued).rejects.toMatchObject({ code: 'ERR_LOADSTONE_TIMEOUT', timeoutMs: 10 });
    expect(await running).toBe('done');
    expect(exits).toEqual([]);
  });
});

describe('WorkerThreadPool: lifecycle', () => {
  it('retires idle threads down to minThreads', async () => {
    const p = pool({ minThreads: 1, maxThreads: 2, idleTimeoutMs: 20, pipelineDepth: 1 });
    const exited = once(p, 'thread:exited') as Promise<[ThreadExitedEvent]>;
    await Promise.all([
      p.run({ ms: 20, value: 1 }, { name: 'delayed' }),
      p.run({ ms: 20, value: 2 }, { name: 'delayed' }),
    ]);
    const [event] = await exited;
    expect(event.reason).toBe('idle');
    expect(p.threads).toBe(1);
    expect(p.stats().threads).toBe(1);
  });

  it('close() finishes running and queued tasks, then ends the threads and refuses new ones', async () => {
    const p = pool({ maxThreads: 1, pipelineDepth: 1 });
    const tasks = [1, 2, 3].map((value) => p.run({ ms: 20, value }, { name: 'delayed' }));
    const closing = p.close();
    expect(p.closed).toBe(true);
    const refused = await p.run(4).catch((e: unknown) => e);
    expect(isLoadstoneError(refused, 'ERR_LOADSTONE_CLOSED')).toBe(true);
    expect(await Promise.all(tasks)).toEqual([1, 2, 3]);
    await closing;
    expect(p.threads).toBe(0);
    await p.close();
    expect((await p.check()).status).toBe('critical');
  });

  it('destroy() rejects running and queued tasks with ClosedError carrying the reason', async () => {
    const p = pool({ maxThreads: 1, pipelineDepth: 1 });
    const created = once(p, 'thread:created');
    const running = p.run(undefined, { name: 'forever' }).catch((e: unknown) => e);
    const queued = p.run(1).catch((e: unknown) => e);
    await created;
    const closing = p.close();
    await p.destroy('shutdown');
    await closing;
    for (const error of await Promise.all([running, queued])) {
      expect(isLoadstoneError(error, 'ERR_LOADSTONE_CLOSED')).toBe(true);
      expect((error as Error).cause).toBe('shutdown');
    }
    expect(p.threads).toBe(0);
  });

  it('close({ signal }) destroys when the signal aborts first', async () => {
    const p = pool({ maxThreads: 1 });
    const running = p.run(undefined, { name: 'forever' }).catch((e: unknown) => e);
    const controller = new AbortController();
    const closing = p.close({ signal: controller.signal });
    controller.abort(new Error('deadline'));
    await expect(closing).rejects.toThrow('deadline');
    expect(isLoadstoneError(await running, 'ERR_LOADSTONE_CLOSED')).toBe(true);
  });

  it('close() destroys a pool whose task hangs past closeTimeoutMs, then resolves', async () => {
    const p = pool({ maxThreads: 1, closeTimeoutMs: 200 });
    const running = p.run(undefined, { name: 'forever' }).catch((e: unknown) => e);
    await expect(p.close()).resolves.toBeUndefined();
    const error = await running;
    expect(isLoadstoneError(error, 'ERR_LOADSTONE_CLOSED')).toBe(true);
    expect((error as Error).cause).toMatchObject({ code: 'ERR_LOADSTONE_TIMEOUT', timeoutMs: 200 });
    expect(p.threads).toBe(0);
  });

  it('reports stats and health as plain data', async () => {
    const p = pool({ maxQueue: 100 });
    await Promise.all(Array.from({ length: 50 }, (_, i) => p.run({ a: i, b: 1 }, { name: 'add' })));
    const stats = p.stats();
    expect(JSON.parse(JSON.stringify(stats))).toEqual(stats);
    expect(stats).toMatchObject({ completed: 50, failed: 0, queued: 0, running: 0, crashes: 0 });
    expect(stats.runTime.count).toBe(50);
    expect(stats.waitTime.count).toBe(50);
    expect(stats.utilization).toBeGreaterThanOrEqual(0);
    expect(stats.utilization).toBeLessThanOrEqual(1);
    expect(await p.check()).toMatchObject({ status: 'healthy', details: { queued: 0 } });
    expect(p.name).toBe('threads');
  });
});
