// `close(options)` of every Closeable takes one option, `signal`. A typo, or the `timeoutMs` users
// reach for, used to be ignored, and the close then waited for the drain however long it took:
// each now rejects naming the option (and points `timeoutMs` at `signal`).
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import {
  BatchProcessor,
  ConnectionPoolManager,
  HealthMonitor,
  InProcessBus,
  InvalidOptionError,
  JobQueue,
  JobWorker,
  LoadBalancer,
  MemoryTier,
  Presence,
  PriorityTaskQueue,
  RedisBus,
  TieredCache,
  WorkerThreadPool,
} from '../../src/index.js';

type Closer = { close(options?: object): Promise<void>; destroy?(): unknown };

const closeables: readonly (readonly [string, () => Closer])[] = [
  ['TieredCache', () => new TieredCache({ tiers: [new MemoryTier({ maxEntries: 10 })] })],
  ['LoadBalancer', () => new LoadBalancer({ backends: [{ id: 'a', target: 1 }] })],
  ['Presence', () => new Presence({ bus: new InProcessBus() })],
  ['BatchProcessor', () => new BatchProcessor({ process: async (items: readonly unknown[]) => items })],
  ['PriorityTaskQueue', () => new PriorityTaskQueue()],
  ['HealthMonitor', () => new HealthMonitor()],
  ['ConnectionPool', () => new ConnectionPoolManager().register('p', { create: () => 1 })],
  ['ConnectionPoolManager', () => new ConnectionPoolManager()],
  ['WorkerThreadPool', () => new WorkerThreadPool()],
  ['InProcessBus', () => new InProcessBus()],
  // Never connected: the check comes before anything the bus does with its clients.
  [
    'RedisBus',
    () =>
      new RedisBus({
        client: new Redis({ lazyConnect: true }),
        subscriber: new Redis({ lazyConnect: true }),
      }),
  ],
];

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (error: unknown) => error,
  );
}

describe('close(options)', () => {
  it.each(closeables)(
    '%s.close refuses an unknown option and points timeoutMs at signal',
    async (_, make) => {
      const made = make();
      expect(await rejection(made.close({ timeoutMs: 5_000 }))).toMatchObject({
        code: 'ERR_LOADSTONE_INVALID_OPTION',
        option: 'options.timeoutMs',
        expected: 'absent: use `options.signal`',
      });
      const typo = await rejection(made.close({ signl: AbortSignal.timeout(10) }));
      expect(typo).toBeInstanceOf(InvalidOptionError);
      expect(typo).toMatchObject({ option: 'options.signl' });
      expect(await rejection(made.close({ signal: 'soon' }))).toMatchObject({
        option: 'options.signal',
        expected: 'an AbortSignal',
      });
      expect(await rejection(made.close({ signal: null }))).toMatchObject({ option: 'options.signal' });
      // The refused calls closed nothing; a good one still does.
      await made.close();
    },
  );

  it('JobWorker.close takes timeoutMs and signal, and refuses anything else', async () => {
    const queue = new JobQueue({ name: 'close-options' });
    const worker = new JobWorker({ queue, handler: async () => 1 });
    expect(await rejection(worker.close({ timeout: 5 } as never))).toMatchObject({
      code: 'ERR_LOADSTONE_INVALID_OPTION',
      option: 'options.timeout',
    });
    expect(await rejection(worker.close({ signal: 5 } as never))).toMatchObject({ option: 'options.signal' });
    await worker.close({ timeoutMs: 100 });
    await queue.close();
  });
});

describe('HealthMonitor.loadShedding(options)', () => {
  it('refuses an unknown option, points retryAfter at retryAfterSeconds, and refuses null', async () => {
    const monitor = new HealthMonitor();
    expect(() => monitor.loadShedding({ shedfrom: 'degraded' } as never)).toThrow(
      expect.objectContaining({ code: 'ERR_LOADSTONE_INVALID_OPTION', option: 'options.shedfrom' }),
    );
    expect(() => monitor.loadShedding({ retryAfter: 10 } as never)).toThrow(
      expect.objectContaining({
        option: 'options.retryAfter',
        expected: 'absent: use `options.retryAfterSeconds`',
      }),
    );
    expect(() => monitor.loadShedding({ retryAfterSeconds: null } as never)).toThrow(
      expect.objectContaining({ option: 'options.retryAfterSeconds', received: null }),
    );
    expect(typeof monitor.loadShedding({ retryAfterSeconds: 10 })).toBe('function');
    await monitor.close();
  });
});
