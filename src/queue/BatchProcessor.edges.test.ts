// BatchProcessor at its edges: what each kind of flush counts, what flush, close and destroy wait
// for, the one wait timer and when it goes, a time limit per batch, and the results a handler may
// give (null, or the wrong number).
import { describe, expect, it } from 'vitest';
import { gate } from '../../test/helpers/gate.js';
import { ClosedError, InvalidOptionError, TimeoutError } from '../core/errors/index.js';
import { BatchProcessor } from './BatchProcessor.js';

const timers = () => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const echo = async (items: readonly number[]) => items.map((n) => n * 10);

describe('BatchProcessor at its edges', () => {
  it('names itself in its errors', async () => {
    expect(() => new BatchProcessor({ process: echo, maxBatch: 2 } as never)).toThrow(
      expect.objectContaining({
        option: 'options.maxBatch',
        expected: 'absent: it is not an option of BatchProcessor',
      }),
    );
    const batches = new BatchProcessor({ process: echo });
    await batches.close();
    await expect(batches.add(1)).rejects.toMatchObject({ message: 'BatchProcessor is closed' });
  });

  it('counts a manual flush only when something was buffered', async () => {
    const batches = new BatchProcessor({ process: echo, maxWaitMs: 60_000 });
    await batches.flush();
    expect(batches.stats().manualFlushes).toBe(0);
    const item = batches.add(1);
    await batches.flush();
    await expect(item).resolves.toBe(10);
    expect(batches.stats()).toMatchObject({ manualFlushes: 1, timeFlushes: 0, sizeFlushes: 0, batches: 1 });
    batches.add(2);
    await batches.close();
    expect(batches.stats().manualFlushes).toBe(2);
    const empty = new BatchProcessor({ process: echo });
    await empty.close();
    expect(empty.stats().manualFlushes).toBe(0);
  });

  it.each([
    ['flush', (b: BatchProcessor<number, number>) => b.flush()],
    ['close', (b: BatchProcessor<number, number>) => b.close()],
  ])('%s waits for the batches already sent', async (_name, call) => {
    const release = gate();
    const batches = new BatchProcessor<number, number>({
      process: async (items) => {
        await release.promise;
        return items.map((n) => n + 1);
      },
      maxBatchSize: 1,
    });
    const item = batches.add(1); // sent at once (a full batch)
    let done = false;
    const waiting = call(batches).then(() => {
      done = true;
    });
    await sleep(5);
    expect(done).toBe(false);
    release.open();
    await waiting;
    await expect(item).resolves.toBe(2);
  });

  it('destroy settles every item before it resolves and refuses new ones', async () => {
    const batches = new BatchProcessor<number, number>({
      process: () => new Promise(() => {}),
      maxBatchSize: 2,
      maxWaitMs: 60_000,
    });
    const before = timers();
    const items = [batches.add(1), batches.add(2), batches.add(3)]; // one batch sent, one item buffered
    for (const item of items) item.catch(() => {});
    expect(timers()).toBe(before + 1);
    await batches.destroy();
    expect(batches.stats()).toMatchObject({ pendingItems: 0, buffered: 0, batchesInFlight: 0, closed: true });
    expect(batches.closed).toBe(true);
    expect(timers()).toBe(before);
    const error = await items[2]?.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClosedError);
    expect(Object.hasOwn(error as object, 'cause')).toBe(false);
    await expect(batches.add(4)).rejects.toBeInstanceOf(ClosedError);
  });

  it('destroy gives its reason as the cause', async () => {
    const batches = new BatchProcessor<number, number>({ process: echo, maxWaitMs: 60_000 });
    const item = batches.add(1);
    const reason = new Error('shutdown');
    await batches.destroy(reason);
    await expect(item).rejects.toMatchObject({ code: 'ERR_LOADSTONE_CLOSED', cause: reason });
  });

  it('keeps one wait timer however many items wait, and drops it when a full batch goes', async () => {
    const batches = new BatchProcessor({ process: echo, maxBatchSize: 3, maxWaitMs: 20 });
    const before = timers();
    const items = [batches.add(1), batches.add(2)];
    expect(timers()).toBe(before + 1);
    items.push(batches.add(3)); // full: sent now
    expect(timers()).toBe(before);
    await expect(Promise.all(items)).resolves.toEqual([10, 20, 30]);
    await sleep(40);
    expect(batches.stats()).toMatchObject({ sizeFlushes: 1, timeFlushes: 0, batches: 1 });
  });

  it('drops the wait timer when flush sends the buffer', async () => {
    const batches = new BatchProcessor({ process: echo, maxWaitMs: 20 });
    const before = timers();
    const item = batches.add(1);
    await batches.flush();
    expect(timers()).toBe(before);
    await item;
    await sleep(40);
    expect(batches.stats()).toMatchObject({ manualFlushes: 1, timeFlushes: 0 });
  });

  it('sends by time and counts it', async () => {
    const batches = new BatchProcessor({ process: echo, maxWaitMs: 5 });
    await expect(Promise.all([batches.add(1), batches.add(2)])).resolves.toEqual([10, 20]);
    expect(batches.stats()).toMatchObject({ timeFlushes: 1, batches: 1 });
  });

  it('bounds each batch by timeoutMs', async () => {
    const batches = new BatchProcessor<number, number>({
      process: () => new Promise(() => {}),
      timeoutMs: 5,
      maxWaitMs: 0,
    });
    await expect(batches.add(1)).rejects.toBeInstanceOf(TimeoutError);
  });

  it('resolves every item with undefined when the handler returns null', async () => {
    const batches = new BatchProcessor<number, void>({ process: async () => null as never, maxWaitMs: 0 });
    await expect(Promise.all([batches.add(1), batches.add(2)])).resolves.toEqual([undefined, undefined]);
    expect(batches.stats().itemsCompleted).toBe(2);
  });

  it('says how many results it wanted when the handler returns the wrong number', async () => {
    const batches = new BatchProcessor<number, number>({ process: async () => [1], maxWaitMs: 0 });
    const error = await Promise.all([batches.add(1), batches.add(2)]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect(error).toMatchObject({
      option: 'the result of options.process',
      expected: 'an array of 2 results or undefined',
    });
  });
});
