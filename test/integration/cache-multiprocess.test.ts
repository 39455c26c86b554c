// Several real processes share one Redis tier: invalidations reach the others' memory tiers,
// and the stampede guard holds per process and, with the lock, across processes.
import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, it } from 'vitest';
import { describeWithRedis } from '../helpers/redis.js';

const WORKER = fileURLToPath(new URL('../fixtures/cache/worker.ts', import.meta.url));

type Worker = {
  readonly child: ChildProcess;
  call<T = unknown>(op: string, args?: Record<string, unknown>): Promise<T>;
  nextInvalidation(key: string): Promise<void>;
};

let spawned: ChildProcess[] = [];

async function startWorker(config: Record<string, unknown>): Promise<Worker> {
  const child = fork(WORKER, {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  spawned.push(child);
  let nextId = 0;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  const invalidationWaiters: { key: string; resolve: () => void }[] = [];
  child.on(
    'message',
    (message: { id?: number; result?: unknown; error?: string; type?: string; keys?: string[] }) => {
      if (message.type === 'invalidated') {
        for (const waiter of invalidationWaiters.splice(0)) {
          if (message.keys?.includes(waiter.key)) waiter.resolve();
          else invalidationWaiters.push(waiter);
        }
        return;
      }
      if (message.id === undefined) return;
      const request = pending.get(message.id);
      pending.delete(message.id);
      if (message.error !== undefined) request?.reject(new Error(message.error));
      else request?.resolve(message.result);
    },
  );
  child.once('exit', (code) => {
    for (const request of pending.values()) request.reject(new Error(`worker exited with ${code}`));
  });
  await once(child, 'message'); // started
  const worker: Worker = {
    child,
    call: <T>(op: string, args: Record<string, unknown> = {}) =>
      new Promise<T>((resolve, reject) => {
        const id = nextId++;
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
        child.send({ id, op, ...args });
      }),
    nextInvalidation: (key) => new Promise<void>((resolve) => invalidationWaiters.push({ key, resolve })),
  };
  await worker.call('init', { config });
  return worker;
}

afterEach(async () => {
  for (const child of spawned) if (child.exitCode === null) child.kill();
  await Promise.all(
    spawned.map((c) => (c.exitCode === null && c.signalCode === null ? once(c, 'exit') : undefined)),
  );
  spawned = [];
});

describeWithRedis('TieredCache across processes', (getRedis) => {
  const config = (name: string, extra: Record<string, unknown> = {}) => ({
    url: getRedis().url,
    prefix: `mp:${name}:`,
    channel: `mp:${name}:invalidate`,
    lock: false,
    loaderDelayMs: 200,
    ...extra,
  });

  it("a delete in one process is seen by the other's next read (its memory copy is dropped)", async () => {
    const [a, b] = await Promise.all([startWorker(config('coherence')), startWorker(config('coherence'))]);
    await a.call('set', { key: 'k', value: 'v1' });
    expect(await b.call('get', { key: 'k' })).toBe('v1'); // now in b's memory tier
    // b drops its copy on the invalidation event: awaited, so the test's timeout bounds the hop,
    // not a wall-clock figure that a loaded machine can break.
    const invalidated = b.nextInvalidation('k');
    await a.call('delete', { key: 'k' });
    await invalidated;
    expect(await b.call('get', { key: 'k' })).toBe(null);

    // A write too: b must not keep serving its old memory copy.
    await b.call('set', { key: 'w', value: 'old' });
    expect(await a.call('get', { key: 'w' })).toBe('old');
    const rewritten = a.nextInvalidation('w');
    await b.call('set', { key: 'w', value: 'new' });
    await rewritten;
    expect(await a.call('get', { key: 'w' })).toBe('new');
    await Promise.all([a.call('stop'), b.call('stop')]);
  });

  it('1 000 concurrent getOrSet on a missing key: one loader call per process without the lock', async () => {
    const workers = await Promise.all([1, 2, 3, 4].map(() => startWorker(config('per-process'))));
    // One key per process, so no process can be served by another's load.
    const results = await Promise.all(
      workers.map((w, i) =>
        w.call<{ loaderCalls: number; distinct: number; rejected: number }>('stampede', {
          key: `key-${i}`,
          n: 1000,
        }),
      ),
    );
    for (const r of results) expect(r).toEqual({ loaderCalls: 1, distinct: 1, rejected: 0, lockWaits: 0 });
    await Promise.all(workers.map((w) => w.call('stop')));
  });

  it('1 000 concurrent getOrSet in each of 4 processes: one loader call in all, with the lock', async () => {
    const workers = await Promise.all([1, 2, 3, 4].map(() => startWorker(config('locked', { lock: true }))));
    const results = await Promise.all(
      workers.map((w) =>
        w.call<{ loaderCalls: number; distinct: number; rejected: number; lockWaits: number }>('stampede', {
          key: 'shared',
          n: 1000,
        }),
      ),
    );
    expect(results.reduce((sum, r) => sum + r.loaderCalls, 0)).toBe(1);
    // The processes really overlapped: the others waited on the holder's lock.
    expect(results.reduce((sum, r) => sum + r.lockWaits, 0)).toBeGreaterThanOrEqual(1);
    for (const r of results) expect(r.rejected).toBe(0);
    await Promise.all(workers.map((w) => w.call('stop')));
  });
});
