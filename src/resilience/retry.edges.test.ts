// retry edges: defaults as a caller sees them, aborts racing attempts and waits, listeners left
// on a shared signal, and the bounds of `attempts`.
import { getEventListeners } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { expectInvalidOption } from '../../test/helpers/expectInvalidOption.js';
import type { RetryEvent } from './RetryOptions.js';
import { retry } from './retry.js';

/** Runs `retry` over an always-failing fn to its end, returning each wait and the attempts made. */
async function delaysOf(options: Parameters<typeof retry>[1]) {
  const delays: number[] = [];
  let attempts = 0;
  const p = retry(
    () => {
      attempts++;
      throw new Error('down');
    },
    { ...options, onRetry: (e: RetryEvent) => delays.push(e.delayMs) },
  ).catch(() => undefined);
  await vi.runAllTimersAsync();
  await p;
  return { delays, attempts };
}

describe('retry defaults', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('makes 3 attempts with full jitter over a 100 ms base', async () => {
    expect(await delaysOf({ random: () => 0.5 })).toEqual({ delays: [50, 100], attempts: 3 });
  });

  it('caps delays at 10 s, or at baseDelayMs when that is larger', async () => {
    expect((await delaysOf({ attempts: 4, baseDelayMs: 8000, jitter: 'none' })).delays).toEqual([
      8000, 10_000, 10_000,
    ]);
    expect((await delaysOf({ attempts: 3, baseDelayMs: 20_000, jitter: 'none' })).delays).toEqual([
      20_000, 20_000,
    ]);
  });

  it('waits exactly the delay it reports before the next attempt', async () => {
    const starts: number[] = [];
    const p = retry(
      () => {
        starts.push(Date.now());
        throw new Error('down');
      },
      { attempts: 3, baseDelayMs: 30, jitter: 'none' },
    ).catch(() => undefined);
    await vi.runAllTimersAsync();
    await p;
    expect(starts.map((t) => t - (starts[0] as number))).toEqual([0, 30, 90]);
  });

  it('takes attempts from 1 to 1000, and names the replacement of `retries`', async () => {
    expect((await delaysOf({ attempts: 1 })).attempts).toBe(1);
    expect((await delaysOf({ attempts: 1000, baseDelayMs: 0 })).attempts).toBe(1000);
    await expect(retry(() => 1, { attempts: 1001 })).rejects.toMatchObject({ option: 'options.attempts' });
    const rejectionOf = (options: unknown) => {
      const caught = retry(() => 1, options as never).catch((e: unknown) => e);
      return async (option: string, expected: string) => {
        const error = await caught;
        expectInvalidOption(
          () => {
            throw error;
          },
          option,
          expected,
        );
      };
    };
    await rejectionOf({ retries: 3 })('options.retries', 'absent: use `options.attempts`');
    await rejectionOf({ tries: 3 })('options.tries', 'absent: it is not an option of retry');
  });

  it('resolves with what the first successful attempt returns, synchronously or not', async () => {
    await expect(retry(() => 5)).resolves.toBe(5);
    await expect(retry(async () => 6, { signal: new AbortController().signal })).resolves.toBe(6);
  });
});

describe('retry and aborts', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('stops at the abort of a running attempt, without a retry or a wait', async () => {
    const controller = new AbortController();
    const onRetry = vi.fn();
    let attempts = 0;
    const p = retry(
      ({ signal }) => {
        attempts++;
        return new Promise((_, reject) =>
          signal.addEventListener('abort', () => reject(new Error('io aborted'))),
        );
      },
      { attempts: 5, baseDelayMs: 1000, onRetry, signal: controller.signal },
    );
    const reason = new Error('shutdown');
    controller.abort(reason);
    await expect(p).rejects.toBe(reason);
    expect(onRetry).not.toHaveBeenCalled();
    expect(attempts).toBe(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('stops when an attempt fails because the signal was aborted meanwhile', async () => {
    const controller = new AbortController();
    const onRetry = vi.fn();
    const reason = new Error('shutdown');
    const p = retry(
      () => {
        controller.abort(reason);
        throw new Error('failed while aborting');
      },
      { attempts: 5, onRetry, signal: controller.signal },
    );
    await expect(p).rejects.toBe(reason);
    expect(onRetry).not.toHaveBeenCalled();
  });

  it('wraps an abort reason that is not an Error', async () => {
    const controller = new AbortController();
    const p = retry(() => new Promise(() => {}), { signal: controller.signal });
    controller.abort('bye');
    await expect(p).rejects.toMatchObject({
      code: 'ERR_LOADSTONE_ABORTED',
      cause: 'bye',
      message: 'retry was aborted',
    });
  });

  it('names retry in the error of an abort whose reason is not an Error, before any attempt or during a wait', async () => {
    const before = retry(() => 1, { signal: AbortSignal.abort('bye') });
    await expect(before).rejects.toMatchObject({ cause: 'bye', message: 'retry was aborted' });
    const controller = new AbortController();
    const waiting = retry(
      () => {
        throw new Error('down');
      },
      { baseDelayMs: 1_000, signal: controller.signal },
    );
    const settled = waiting.catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(1);
    controller.abort('bye');
    expect(await settled).toMatchObject({ cause: 'bye', message: 'retry was aborted' });
  });

  it('leaves no listener on the signal after an abort, during an attempt that never ends or during a wait', async () => {
    const duringAttempt = new AbortController();
    const p = retry(() => new Promise(() => {}), { signal: duringAttempt.signal }).catch(() => undefined);
    duringAttempt.abort();
    await p;
    expect(getEventListeners(duringAttempt.signal, 'abort')).toHaveLength(0);
    const duringWait = new AbortController();
    const q = retry(
      () => {
        throw new Error('down');
      },
      { baseDelayMs: 1_000, jitter: 'none', signal: duringWait.signal },
    ).catch(() => undefined);
    await vi.advanceTimersByTimeAsync(1);
    duringWait.abort();
    await q;
    expect(getEventListeners(duringWait.signal, 'abort')).toHaveLength(0);
  });

  it('rejects with an attempt error, unchanged, when a signal is given', async () => {
    const error = new Error('fatal');
    const controller = new AbortController();
    await expect(retry(() => Promise.reject(error), { attempts: 1, signal: controller.signal })).rejects.toBe(
      error,
    );
    await expect(
      retry(
        () => {
          throw error;
        },
        { attempts: 1, signal: controller.signal },
      ),
    ).rejects.toBe(error);
  });

  it('leaves no listener on a shared signal once attempts and waits are over', async () => {
    const controller = new AbortController();
    let n = 0;
    const p = retry(
      () => {
        n++;
        if (n < 3) throw new Error('again');
        return 'done';
      },
      { attempts: 3, baseDelayMs: 10, jitter: 'none', signal: controller.signal },
    );
    await vi.advanceTimersByTimeAsync(5);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1); // the wait's
    await vi.runAllTimersAsync();
    expect(await p).toBe('done');
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    for (let i = 0; i < 20; i++) await retry(async () => i, { signal: controller.signal });
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });
});
