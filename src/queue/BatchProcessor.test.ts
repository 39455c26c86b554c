import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { expectInvalidOption } from '../../test/helpers/expectInvalidOption.js';
import { CapacityExceededError, ClosedError, RetriesExhaustedError } from '../core/errors/index.js';
import { BatchProcessor } from './BatchProcessor.js';
import type { BatchProcessorOptions } from './BatchProcessorOptions.js';

afterEach(() => {
  vi.useRealTimers();
});

/** Stands in for a bulk write: `INSERT … VALUES (…), (…)` returning one id per row. */
async function insertRows(rows: readonly { name: string }[]): Promise<number[]> {
  return rows.map((_, i) => 1000 + i);
}

describe('BatchProcessor', () => {
  it('flushes by size and by time, resolving each item with its own result', async () => {
    vi.useFakeTimers();
    const sizes: number[] = [];
    // #region batchProcessor
    const writer = new BatchProcessor<{ name: string }, number>({
      process: async (rows) => {
        sizes.push(rows.length);
        return insertRows(rows); // one result per row, in order
      },
      maxBatchSize: 3, // send as soon as 3 rows wait…
      maxWaitMs: 50, // …or 50 ms after the first one
    });
    const ids = ['ada', 'bob', 'cy', 'dee'].map((name) => writer.add({ name }));
    // ada, bob and cy go at once as one batch; dee 50 ms later
    // #endregion batchProcessor
    await Promise.resolve();
    expect(sizes).toEqual([3]);
    await vi.advanceTimersByTimeAsync(49);
    expect(sizes).toEqual([3]);
    await vi.advanceTimersByTimeAsync(1);
    expect(sizes).toEqual([3, 1]);
    expect(await Promise.all(ids)).toEqual([1000, 1001, 1002, 1000]);
    expect(writer.stats()).toMatchObject({ batches: 2, sizeFlushes: 1, timeFlushes: 1, itemsCompleted: 4 });
  });

  it('flush() sends what is buffered and waits; close() loses nothing and refuses new items', async () => {
    const seen: string[][] = [];
    const processor = new BatchProcessor<string>({
      process: async (items) => {
        seen.push([...items]);
      },
      maxBatchSize: 10,
      maxWaitMs: 60_000,
    });
    // #region flush
    const a = processor.add('a');
    const b = processor.add('b');
    await processor.flush(); // both are processed now, not in a minute
    // #endregion flush
    await expect(Promise.all([a, b])).resolves.toEqual([undefined, undefined]);
    const c = processor.add('c');
    await processor.close();
    await expect(c).resolves.toBeUndefined();
    expect(seen).toEqual([['a', 'b'], ['c']]);
    await expect(processor.add('late')).rejects.toBeInstanceOf(ClosedError);
    expect(processor.closed).toBe(true);
  });

  it('retries a failed batch, then rejects every item with RetriesExhaustedError', async () => {
    vi.useFakeTimers();
    let calls = 0;
    const processor = new BatchProcessor<number, number>({
      process: async (items) => {
        calls++;
        if (items.includes(13)) throw new Error('unlucky');
        if (calls === 1) throw new Error('transient');
        return items.map((n) => n * 2);
      },
      maxBatchSize: 2,
      retry: { attempts: 3, baseDelayMs: 10 },
    });
    const good = [processor.add(1), processor.add(2)];
    const bad = [processor.add(13), processor.add(4)].map((p) => p.catch((e: unknown) => e));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(await Promise.all(good)).toEqual([2, 4]);
    for (const error of await Promise.all(bad)) {
      expect(error).toBeInstanceOf(RetriesExhaustedError);
      expect((error as RetriesExhaustedError).attempts).toBe(3);
    }
    expect(processor.stats()).toMatchObject({
      itemsCompleted: 2,
      itemsFailed: 2,
      pendingItems: 0,
      batchRetries: 3, // one for the transient failure, two for the unlucky batch
    });
  });

  it('passes a batch error through unchanged without retry, and rejects a wrong-length result', async () => {
    const boom = new Error('boom');
    let mode: 'throw' | 'short' = 'throw';
    const processor = new BatchProcessor<number, number>({
      process: async (items) => {
        if (mode === 'throw') throw boom;
        return items.slice(1);
      },
      maxBatchSize: 2,
    });
    await expect(Promise.all([processor.add(1), processor.add(2)])).rejects.toBe(boom);
    mode = 'short';
    const [x, y] = [processor.add(1), processor.add(2)];
    await expect(x).rejects.toMatchObject({ code: 'ERR_LOADSTONE_INVALID_OPTION' });
    await expect(y).rejects.toMatchObject({ code: 'ERR_LOADSTONE_INVALID_OPTION' });
  });

  it('bounds pending items and limits concurrent batches', async () => {
    let running = 0;
    let peak = 0;
    const release: (() => void)[] = [];
    const processor = new BatchProcessor<number>({
      process: () =>
        new Promise<void>((resolve) => {
          running++;
          peak = Math.max(peak, running);
          release.push(() => {
            running--;
            resolve();
          });
        }),
      maxBatchSize: 1,
      concurrency: 2,
      maxPendingItems: 3,
    });
    const items = [processor.add(1), processor.add(2), processor.add(3)];
    await expect(processor.add(4)).rejects.toBeInstanceOf(CapacityExceededError);
    expect(running).toBe(2);
    while (release.length > 0) {
      release.shift()?.();
      await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all(items);
    expect(peak).toBe(2);
  });

  it('destroy rejects buffered and in-flight items with ClosedError', async () => {
    const processor = new BatchProcessor<number>({
      process: () => new Promise(() => {}),
      maxBatchSize: 2,
      maxWaitMs: 60_000,
    });
    const inFlight = [processor.add(1), processor.add(2)];
    const buffered = processor.add(3);
    await processor.destroy(new Error('shutdown'));
    for (const p of [...inFlight, buffered]) {
      await expect(p).rejects.toMatchObject({ code: 'ERR_LOADSTONE_CLOSED' });
    }
  });

  it('close with a signal that aborts gives up: items reject with ClosedError, close with the reason', async () => {
    const processor = new BatchProcessor<number>({ process: () => new Promise(() => {}), maxBatchSize: 10 });
    const item = processor.add(1);
    const controller = new AbortController();
    const closing = processor.close({ signal: controller.signal });
    const reason = new Error('deadline');
    controller.abort(reason);
    await expect(closing).rejects.toBe(reason);
    await expect(item).rejects.toMatchObject({ code: 'ERR_LOADSTONE_CLOSED', cause: reason });
  });

  it('loses nothing across size flushes, time flushes, failures and close (property)', async () => {
    type Entry = { readonly id: number; readonly n: number };
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 3 }),
        fc.array(fc.oneof(fc.integer({ min: 0, max: 99 }), fc.constant('tick' as const)), { maxLength: 40 }),
        async (maxBatchSize, concurrency, script) => {
          vi.useFakeTimers();
          try {
            // Every call of `process`, with the error it threw (a fresh one per failing batch).
            const batches: { items: readonly Entry[]; error: Error | undefined }[] = [];
            const processor = new BatchProcessor<Entry, number>({
              process: async (items) => {
                await Promise.resolve();
                const failing = items.some((e) => e.n % 7 === 0);
                const error = failing ? new Error(`batch ${batches.length} has a multiple of 7`) : undefined;
                batches.push({ items, error });
                if (error !== undefined) throw error;
                return items.map((e) => e.n + 1);
              },
              maxBatchSize,
              maxWaitMs: 5,
              concurrency,
            });
            const outcomes: Promise<{ entry: Entry; ok: boolean; value: unknown }>[] = [];
            for (const step of script) {
              if (step === 'tick') {
                await vi.advanceTimersByTimeAsync(5);
                continue;
              }
              const entry = { id: outcomes.length, n: step };
              outcomes.push(
                processor.add(entry).then(
                  (value) => ({ entry, ok: true, value }),
                  (value: unknown) => ({ entry, ok: false, value }),
                ),
              );
            }
            await processor.close();
            const settled = await Promise.all(outcomes);
            expect(settled.map((s) => s.entry.n)).toEqual(script.filter((s) => s !== 'tick'));
            // Each item went to `process` exactly once, in no batch larger than maxBatchSize.
            const batchOf = new Map<Entry, (typeof batches)[number]>();
            for (const batch of batches) {
              expect(batch.items.length).toBeLessThanOrEqual(maxBatchSize);
              for (const entry of batch.items) {
                expect(batchOf.has(entry)).toBe(false);
                batchOf.set(entry, batch);
              }
            }
            expect(batchOf.size).toBe(settled.length);
            for (const s of settled) {
              const batch = batchOf.get(s.entry);
              // An item succeeds with its own result exactly when its batch succeeded, and
              // otherwise rejects with the very error its batch threw.
              expect(s).toEqual(
                batch?.error === undefined
                  ? { entry: s.entry, ok: true, value: s.entry.n + 1 }
                  : { entry: s.entry, ok: false, value: batch.error },
              );
              if (!s.ok) expect(s.value).toBe(batch?.error);
            }
            const failed = settled.filter((s) => !s.ok).length;
            expect(processor.stats()).toMatchObject({
              pendingItems: 0,
              buffered: 0,
              batchesInFlight: 0,
              batches: batches.length,
              itemsCompleted: settled.length - failed,
              itemsFailed: failed,
            });
          } finally {
            vi.useRealTimers();
          }
        },
      ),
      { numRuns: 100, interruptAfterTimeLimit: 15_000, markInterruptAsFailure: true },
    );
  });

  it.each<[string, Partial<BatchProcessorOptions<number, void>>, string, string]>([
    ['no process', {}, 'options.process', 'a function'],
    ['maxBatchSize 0', { maxBatchSize: 0 }, 'options.maxBatchSize', 'an integer >= 1'],
    ['negative maxWaitMs', { maxWaitMs: -1 }, 'options.maxWaitMs', 'a finite number >= 0'],
    ['concurrency 0', { concurrency: 0 }, 'options.concurrency', 'an integer >= 1'],
    ['maxPendingItems 0', { maxPendingItems: 0 }, 'options.maxPendingItems', 'an integer >= 1'],
    ['retry attempts 0', { retry: { attempts: 0 } }, 'options.retry.attempts', 'an integer from 1'],
  ])('rejects %s', (name, options, option, expected) => {
    const process = name === 'no process' ? undefined : async () => {};
    expectInvalidOption(
      () => new BatchProcessor({ process, ...options } as BatchProcessorOptions<number, void>),
      option,
      expected,
    );
  });
});
