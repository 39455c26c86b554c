import { describe, expect, it } from 'vitest';
import { TimeoutError } from '../errors/TimeoutError.js';
import { timedOutWaiting, withDeadline } from './deadline.js';

const never = new Promise<never>(() => {});

describe('withDeadline', () => {
  it('answers with the work when it settles first', async () => {
    await expect(withDeadline(Promise.resolve(7), 1_000, 'x')).resolves.toBe(7);
    await expect(withDeadline(Promise.reject(new Error('boom')), 1_000, 'x')).rejects.toThrow('boom');
  });

  it('rejects with a coded TimeoutError naming the operation when the work hangs', async () => {
    const error = await withDeadline(never, 20, 'SUBSCRIBE on Redis').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error).toMatchObject({ code: 'ERR_LOADSTONE_TIMEOUT', timeoutMs: 20 });
    expect((error as Error).message).toBe('SUBSCRIBE on Redis timed out after 20 ms');
  });

  it('has no deadline for 0, a negative or an infinite limit', async () => {
    for (const ms of [0, -1, Number.POSITIVE_INFINITY, Number.NaN]) {
      let settle: (v: number) => void = () => {};
      const work = new Promise<number>((resolve) => {
        settle = resolve;
      });
      const answer = withDeadline(work, ms, 'x');
      await new Promise((r) => setTimeout(r, 30));
      settle(ms);
      await expect(answer).resolves.toBe(ms);
    }
  });

  it('ignores a rejection that comes after the deadline (no unhandled rejection)', async () => {
    let fail: (e: Error) => void = () => {};
    const work = new Promise<never>((_, reject) => {
      fail = reject;
    });
    await expect(withDeadline(work, 10, 'x')).rejects.toBeInstanceOf(TimeoutError);
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    fail(new Error('late'));
    await new Promise((r) => setTimeout(r, 20));
    process.off('unhandledRejection', onUnhandled);
    expect(unhandled).toEqual([]);
  });
});

describe('timedOutWaiting', () => {
  it('says whether the limit passed before the work settled, either way', async () => {
    await expect(timedOutWaiting(Promise.resolve(), 1_000)).resolves.toBe(false);
    await expect(timedOutWaiting(Promise.reject(new Error('x')), 1_000)).resolves.toBe(false);
    await expect(timedOutWaiting(never, 15)).resolves.toBe(true);
  });
});
