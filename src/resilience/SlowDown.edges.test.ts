import { EventEmitter, getEventListeners } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { expectInvalidOption } from '../../test/helpers/expectInvalidOption.js';
import { rateLimitHandler } from './rateLimitHandler.js';
import { SlowDown } from './SlowDown.js';

afterEach(() => {
  vi.useRealTimers();
});

/** A response the handler can watch: an emitter with the three flags it reads. */
function fakeResponse() {
  return Object.assign(new EventEmitter(), { headersSent: false, writableEnded: false, destroyed: false });
}

/** A slow-down whose second call of a key waits 10 s. */
const slow = () => new SlowDown({ delayAfter: 1, periodMs: 60_000, delayStepMs: 10_000 });

describe('SlowDown edges', () => {
  it('names the bad option and what it must be', () => {
    const ok = { delayAfter: 1, periodMs: 1_000 };
    for (const [bad, option, expected] of [
      [{ ...ok, delayAfter: -1 }, 'options.delayAfter', 'an integer'],
      [{ ...ok, delayStepMs: 0 }, 'options.delayStepMs', 'a finite number > 0'],
      [{ ...ok, maxDelayMs: 0 }, 'options.maxDelayMs', 'a finite number > 0'],
      [{ ...ok, delayStepMs: 1e-12, maxDelayMs: 1e9 }, 'options.delayStepMs', 'a step with'],
      [{ ...ok, limit: 5 }, 'options.limit', 'absent: it is not an option of SlowDown'],
      ['fast', 'options', 'an object'],
    ] as const) {
      expectInvalidOption(() => new SlowDown(bad as never), option, expected);
    }
  });

  it('rejects a signal that is not one, naming it', async () => {
    const error = await slow()
      .wait('k', { signal: {} as AbortSignal })
      .catch((e: unknown) => e);
    expectInvalidOption(
      () => {
        throw error;
      },
      'options.signal',
      'an AbortSignal',
    );
  });

  it('a signal aborted while the call is counted ends the wait at once, with no timer left', async () => {
    vi.useFakeTimers();
    const slowDown = slow();
    await slowDown.check('k');
    const gone = new AbortController();
    const waited = slowDown.wait('k', { signal: gone.signal });
    gone.abort('client left'); // before the count's answer is back
    await expect(waited).rejects.toThrow('SlowDown wait was aborted');
    expect(vi.getTimerCount()).toBe(0);
    expect(slowDown.stats()).toMatchObject({ abandoned: 1, waiting: 0, delayed: 1 });
  });

  for (const flag of ['headersSent', 'writableEnded', 'destroyed'] as const) {
    it(`the handler does not call next once the response is ${flag} during the delay`, async () => {
      vi.useFakeTimers();
      const slowDown = slow();
      await slowDown.check('k');
      const handler = rateLimitHandler(slowDown, { key: () => 'k' });
      const res = fakeResponse();
      const next = vi.fn();
      handler({} as IncomingMessage, res as unknown as ServerResponse, next);
      res[flag] = true; // something else answered, or the socket went, while it waited
      await vi.advanceTimersByTimeAsync(10_000);
      expect(next).not.toHaveBeenCalled();
      expect(res.listenerCount('close')).toBe(0);
    });
  }

  it('the handler calls nothing after the client left, not even next(error)', async () => {
    vi.useFakeTimers();
    const slowDown = slow();
    await slowDown.check('k');
    const handler = rateLimitHandler(slowDown, { key: () => 'k' });
    const res = fakeResponse();
    const next = vi.fn();
    handler({} as IncomingMessage, res as unknown as ServerResponse, next);
    await vi.advanceTimersByTimeAsync(0);
    res.emit('close');
    await vi.advanceTimersByTimeAsync(20_000);
    expect(next).not.toHaveBeenCalled();
    expect(slowDown.stats()).toMatchObject({ abandoned: 1, waiting: 0 });
    expect(res.listenerCount('close')).toBe(0);
  });

  it('takes the limiter options it shares: keyPrefix and storeTimeoutMs', () => {
    expect(
      () => new SlowDown({ delayAfter: 1, periodMs: 1_000, keyPrefix: 'sd:', storeTimeoutMs: 50 }),
    ).not.toThrow();
  });

  it('counts a wait at its cost', async () => {
    vi.useFakeTimers();
    const slowDown = new SlowDown({ delayAfter: 2, periodMs: 60_000, delayStepMs: 100 });
    const waited = slowDown.wait('k', { cost: 3 }); // 3 calls at once: one past delayAfter
    await vi.advanceTimersByTimeAsync(100);
    expect(await waited).toMatchObject({ delayMs: 100, used: 3 });
  });

  it('leaves no abort listener on the signal once the wait is over, waited out or aborted', async () => {
    vi.useFakeTimers();
    const slowDown = slow();
    await slowDown.check('k');
    const patient = new AbortController();
    const waited = slowDown.wait('k', { signal: patient.signal });
    await vi.advanceTimersByTimeAsync(0);
    expect(getEventListeners(patient.signal, 'abort')).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(20_000);
    await waited;
    expect(getEventListeners(patient.signal, 'abort')).toHaveLength(0);
    const gone = new AbortController();
    const abandoned = slowDown.wait('k', { signal: gone.signal });
    await vi.advanceTimersByTimeAsync(0);
    gone.abort();
    await abandoned.catch(() => {});
    expect(getEventListeners(gone.signal, 'abort')).toHaveLength(0);
  });

  it('names the wait when the signal was aborted before it, with a reason that is not an Error', async () => {
    await expect(slow().wait('k', { signal: AbortSignal.abort('bye') })).rejects.toMatchObject({
      code: 'ERR_LOADSTONE_ABORTED',
      message: 'SlowDown wait was aborted',
    });
  });

  it('the handler passes a failed wait to next and stops watching the response', async () => {
    const handler = rateLimitHandler(slow(), { key: () => 'k', cost: () => -1 });
    const res = fakeResponse();
    const next = vi.fn();
    handler({} as IncomingMessage, res as unknown as ServerResponse, next);
    await vi.waitFor(() => expect(next).toHaveBeenCalledTimes(1));
    expect(next.mock.calls[0]?.[0]).toMatchObject({ code: 'ERR_LOADSTONE_INVALID_OPTION' });
    expect(res.listenerCount('close')).toBe(0);
  });
});
