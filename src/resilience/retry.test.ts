import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { InvalidOptionError, isLoadstoneError } from '../core/errors/index.js';
import type { RetryEvent } from './RetryOptions.js';
import { retry } from './retry.js';

const fetchPrice = async (_signal: AbortSignal): Promise<number> => 42;

describe('retry', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('retries with backoff until an attempt succeeds', async () => {
    let failuresLeft = 2;
    const flaky = async (signal: AbortSignal) => {
      if (failuresLeft-- > 0) throw new Error('ECONNRESET');
      return fetchPrice(signal);
    };
    const pending = (async () => {
      // #region retry
      const controller = new AbortController();
      let retries = 0;
      const log: string[] = [];
      const price = await retry(({ signal }) => flaky(signal), {
        attempts: 4, // one call and up to three retries
        baseDelayMs: 100, // waits up to 100, 200, 400 ms (full jitter)
        maxDelayMs: 2000,
        retryIf: (error) => !(error instanceof TypeError), // a bug is not worth retrying
        onRetry: ({ attempt, delayMs }) => {
          retries++;
          log.push(`attempt ${attempt} failed, next in ${Math.round(delayMs)} ms`);
        },
        signal: controller.signal, // aborting stops at once, even mid-wait
      });
      // #endregion retry
      return { price, retries };
    })();
    await vi.runAllTimersAsync();
    expect(await pending).toEqual({ price: 42, retries: 2 });
  });

  it('waits the backoff between attempts and reports each retry', async () => {
    const events: RetryEvent[] = [];
    const errors = [new Error('a'), new Error('b')];
    const attempts: number[] = [];
    const p = retry(
      ({ attempt }) => {
        attempts.push(attempt);
        const e = errors.shift();
        if (e !== undefined) throw e;
        return 'ok';
      },
      { attempts: 3, baseDelayMs: 100, jitter: 'none', onRetry: (e) => events.push(e) },
    );
    await vi.advanceTimersByTimeAsync(0);
    expect(attempts).toEqual([1]);
    await vi.advanceTimersByTimeAsync(99);
    expect(attempts).toEqual([1]);
    await vi.advanceTimersByTimeAsync(1);
    expect(attempts).toEqual([1, 2]);
    await vi.advanceTimersByTimeAsync(200);
    expect(await p).toBe('ok');
    expect(events.map(({ attempt, delayMs }) => [attempt, delayMs])).toEqual([
      [1, 100],
      [2, 200],
    ]);
  });

  it('rejects with the last error, unchanged, when attempts run out', async () => {
    const last = new Error('third');
    let n = 0;
    const p = retry(
      () => {
        n++;
        throw n === 3 ? last : new Error(`attempt ${n}`);
      },
      { attempts: 3, baseDelayMs: 10 },
    );
    const settled = p.catch((e: unknown) => e);
    await vi.runAllTimersAsync();
    const error = await settled;
    expect(error).toBe(last);
    expect(Object.keys(error as object)).toEqual([]);
    expect(n).toBe(3);
  });

  it('stops at once when retryIf refuses the error', async () => {
    const fatal = new TypeError('bug');
    const retryIf = vi.fn(() => false);
    let n = 0;
    await expect(
      retry(
        () => {
          n++;
          throw fatal;
        },
        { retryIf },
      ),
    ).rejects.toBe(fatal);
    expect(n).toBe(1);
    expect(retryIf).toHaveBeenCalledWith(fatal, 1);
  });

  it('uses decorrelated jitter from the injected random source', async () => {
    const delays: number[] = [];
    const p = retry(
      () => {
        throw new Error('x');
      },
      {
        attempts: 4,
        baseDelayMs: 100,
        maxDelayMs: 1000,
        jitter: 'decorrelated',
        random: () => 0.5,
        onRetry: (e) => delays.push(e.delayMs),
      },
    ).catch(() => undefined);
    await vi.runAllTimersAsync();
    await p;
    // 100 + 0.5·(300 − 100) = 200; 100 + 0.5·(600 − 100) = 350; 100 + 0.5·(1050 − 100) = 575
    expect(delays).toEqual([200, 350, 575]);
  });

  it('rejects at once with signal.reason when aborted during a wait, and clears the timer', async () => {
    const controller = new AbortController();
    let n = 0;
    const p = retry(
      () => {
        n++;
        throw new Error('down');
      },
      { attempts: 5, baseDelayMs: 1000, jitter: 'none', signal: controller.signal },
    );
    const settled = p.catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(10);
    expect(vi.getTimerCount()).toBe(1);
    const reason = new Error('shutdown');
    controller.abort(reason);
    expect(await settled).toBe(reason);
    expect(vi.getTimerCount()).toBe(0);
    expect(n).toBe(1);
  });

  it('rejects at once when aborted during an attempt, and the attempt sees the abort', async () => {
    const controller = new AbortController();
    let seen: AbortSignal | undefined;
    const p = retry(
      ({ signal }) => {
        seen = signal;
        return new Promise(() => {});
      },
      { signal: controller.signal },
    );
    controller.abort();
    await expect(p).rejects.toMatchObject({ name: 'AbortError' });
    expect(seen?.aborted).toBe(true);
  });

  it('does not start when the signal is already aborted', async () => {
    const fn = vi.fn();
    await expect(retry(fn, { signal: AbortSignal.abort('bye') })).rejects.toMatchObject({
      code: 'ERR_LOADSTONE_ABORTED',
      cause: 'bye',
    });
    expect(fn).not.toHaveBeenCalled();
  });

  it('passes a never-aborted signal when none is given', async () => {
    let seen: AbortSignal | undefined;
    await retry(({ signal }) => {
      seen = signal;
    });
    expect(seen?.aborted).toBe(false);
  });

  describe('rejects bad options with ERR_LOADSTONE_INVALID_OPTION (never throwing synchronously)', () => {
    const ok = () => 1;
    const cases: [string, () => Promise<unknown>, string, string][] = [
      ['fn not a function', () => retry(42 as never), 'fn', 'a function'],
      ['options not an object', () => retry(ok, 3 as never), 'options', 'an object'],
      ['zero attempts', () => retry(ok, { attempts: 0 }), 'options.attempts', 'an integer from 1 to 1000'],
      ['fractional attempts', () => retry(ok, { attempts: 2.5 }), 'options.attempts', 'an integer'],
      ['negative base', () => retry(ok, { baseDelayMs: -1 }), 'options.baseDelayMs', 'a finite number >= 0'],
      [
        'cap below base',
        () => retry(ok, { baseDelayMs: 100, maxDelayMs: 50 }),
        'options.maxDelayMs',
        'a finite number >= 100',
      ],
      ['unknown jitter', () => retry(ok, { jitter: 'equal' as never }), 'options.jitter', 'one of "none"'],
      [
        'retryIf not a function',
        () => retry(ok, { retryIf: true as never }),
        'options.retryIf',
        'a function',
      ],
      ['onRetry not a function', () => retry(ok, { onRetry: 1 as never }), 'options.onRetry', 'a function'],
      ['random not a function', () => retry(ok, { random: 0.5 as never }), 'options.random', 'a function'],
      ['signal not a signal', () => retry(ok, { signal: {} as never }), 'options.signal', 'an AbortSignal'],
      [
        "cockatiel's maxAttempts",
        () => retry(ok, { maxAttempts: 3 } as never),
        'options.maxAttempts',
        'absent: use `options.attempts`',
      ],
      ['a misspelt option', () => retry(ok, { atempts: 3 } as never), 'options.atempts', 'absent'],
    ];
    it.each(cases)('%s', async (_name, act, option, expected) => {
      let promise: Promise<unknown> | undefined;
      expect(() => {
        promise = act();
      }).not.toThrow();
      const caught = await (promise as Promise<unknown>).catch((e: unknown) => e);
      expect(caught).toBeInstanceOf(InvalidOptionError);
      expect(isLoadstoneError(caught, 'ERR_LOADSTONE_INVALID_OPTION')).toBe(true);
      const error = caught as InvalidOptionError;
      expect(error.option).toBe(option);
      expect(error.expected.startsWith(expected)).toBe(true);
      expect(error.message).toContain(`Expected \`${option}\` to be ${error.expected}, got `);
    });
  });
});
