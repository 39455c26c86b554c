// How much a queue lets wait by default: 100,000 tasks (or batch items), and a warning, once per
// process, when a caller turns the bound off with Infinity.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BatchProcessor } from './BatchProcessor.js';
import { PriorityTaskQueue } from './PriorityTaskQueue.js';
import { DEFAULT_MAX_QUEUED } from './resolvePriorityTaskQueueOptions.js';

const never = () => new Promise<never>(() => {});

afterEach(() => {
  vi.restoreAllMocks();
});

describe('default bounds', () => {
  it('a PriorityTaskQueue lets 100,000 tasks wait, and refuses the next', async () => {
    expect(DEFAULT_MAX_QUEUED).toBe(100_000);
    const queue = new PriorityTaskQueue({ paused: true });
    for (let i = 0; i < DEFAULT_MAX_QUEUED; i++) queue.add(never).catch(() => {});
    await expect(queue.add(never)).rejects.toMatchObject({
      code: 'ERR_LOADSTONE_CAPACITY',
      limit: 100_000,
      message: 'PriorityTaskQueue queue is full (limit 100000)',
    });
    await queue.destroy();
  });

  it('a BatchProcessor lets 100,000 items wait, and refuses the next', async () => {
    const batches = new BatchProcessor({ process: never, maxBatchSize: 1_000, maxWaitMs: 60_000 });
    for (let i = 0; i < DEFAULT_MAX_QUEUED; i++) batches.add(i).catch(() => {});
    await expect(batches.add(-1)).rejects.toMatchObject({
      code: 'ERR_LOADSTONE_CAPACITY',
      message: 'BatchProcessor items is full (limit 100000)',
    });
    await batches.destroy();
  });

  it('warns once per process when a bound is turned off, and not for a finite one', () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    new PriorityTaskQueue({ maxQueued: 10 });
    new BatchProcessor({ process: async (items: readonly number[]) => [...items], maxPendingItems: 10 });
    expect(warn).not.toHaveBeenCalled();
    new PriorityTaskQueue({ maxQueued: Number.POSITIVE_INFINITY });
    new PriorityTaskQueue({ maxQueued: Number.POSITIVE_INFINITY });
    new BatchProcessor({
      process: async (items: readonly number[]) => [...items],
      maxPendingItems: Number.POSITIVE_INFINITY,
    });
    expect(warn.mock.calls.map((call) => [call[0], (call[1] as { code: string }).code])).toEqual([
      [
        expect.stringMatching(/^PriorityTaskQueue with maxQueued: Infinity: tasks can pile up/),
        'LOADSTONE_WARN_QUEUE_UNBOUNDED',
      ],
      [
        expect.stringMatching(/^BatchProcessor with maxPendingItems: Infinity: items can pile up/),
        'LOADSTONE_WARN_BATCH_UNBOUNDED',
      ],
    ]);
  });
});
