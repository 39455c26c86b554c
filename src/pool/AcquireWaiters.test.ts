// The pool's waiting acquires on their own: order, the shared deadline timer and per-call timers,
// aborts, requeues and closing, with fake timers driving a clock that follows them.
import { getEventListeners } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AbortedError } from '../core/errors/AbortedError.js';
import { ClosedError } from '../core/errors/ClosedError.js';
import { TimeoutError } from '../core/errors/TimeoutError.js';
import { AcquireWaiters } from './AcquireWaiters.js';
import { CLAIMED, DONE } from './Waiter.js';

const clock = { now: () => Date.now() };
const WHAT = 'pool "db"';

type Outcome = { value?: string; error?: unknown };
const settle = (p: Promise<string>): Promise<Outcome> =>
  p.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );

/** Waiters on a pool whose `acquireTimeoutMs` is `timeoutMs`. */
function waiters(timeoutMs = 1_000) {
  const w = new AcquireWaiters<string>(clock, timeoutMs, WHAT);
  const enqueue = (ms = timeoutMs, signal?: AbortSignal) =>
    settle(w.enqueue(clock.now(), ms, signal, undefined));
  return { w, enqueue };
}

describe('AcquireWaiters', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('serves waiters first come, first served, and records how long each waited', async () => {
    const { w, enqueue } = waiters(0);
    const first = enqueue();
    await vi.advanceTimersByTimeAsync(40);
    const second = enqueue();
    expect(w.count).toBe(2);
    const a = w.take();
    w.serve(a as NonNullable<typeof a>, 'r1', clock.now() + 10);
    const b = w.take();
    w.serve(b as NonNullable<typeof b>, 'r2', clock.now());
    expect([await first, await second]).toEqual([{ value: 'r1' }, { value: 'r2' }]);
    expect(w.count).toBe(0);
    expect(w.take()).toBeUndefined();
    expect(w.waitLatency.count).toBe(2);
    expect(w.waitLatency.snapshot().maxMs).toBeGreaterThanOrEqual(50);
  });

  it('times waiters out at acquireTimeoutMs each from its own start, with one timer for all', async () => {
    const { w, enqueue } = waiters(1_000);
    const first = enqueue();
    await vi.advanceTimersByTimeAsync(400);
    const second = enqueue();
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(600);
    const timedOut = await first;
    expect(timedOut.error).toBeInstanceOf(TimeoutError);
    expect((timedOut.error as Error).message).toBe(`acquire from ${WHAT} timed out after 1000 ms`);
    expect([w.count, w.timedOut, w.consecutiveTimeouts]).toEqual([1, 1, 1]);
    await vi.advanceTimersByTimeAsync(399);
    expect(w.count).toBe(1); // the second is 1 ms short of its deadline
    await vi.advanceTimersByTimeAsync(1);
    expect((await second).error).toBeInstanceOf(TimeoutError);
    expect([w.count, w.timedOut, w.consecutiveTimeouts, vi.getTimerCount()]).toEqual([0, 2, 2, 0]);
  });

  it('gives a per-call timeout its own timer, and none to a call without a timeout', async () => {
    const { w, enqueue } = waiters(1_000);
    const short = enqueue(100);
    const never = enqueue(0);
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(100);
    const outcome = await short;
    expect((outcome.error as TimeoutError).timeoutMs).toBe(100);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(w.count).toBe(1);
    const waiter = w.take();
    w.serve(waiter as NonNullable<typeof waiter>, 'late', clock.now());
    expect(await never).toEqual({ value: 'late' });
  });

  it('clears the run of timeouts only when a waiter that had a timeout is served', async () => {
    const { w, enqueue } = waiters(1_000);
    void enqueue();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(w.consecutiveTimeouts).toBe(1);
    void enqueue(0);
    const untimed = w.take();
    w.serve(untimed as NonNullable<typeof untimed>, 'x', clock.now());
    expect(w.consecutiveTimeouts).toBe(1);
    void enqueue();
    const timed = w.take();
    w.serve(timed as NonNullable<typeof timed>, 'y', clock.now());
    expect(w.consecutiveTimeouts).toBe(0);
    await vi.advanceTimersByTimeAsync(1_000); // the shared timer lapses over the served waiter
    expect([w.timedOut, vi.getTimerCount()]).toEqual([1, 0]);
  });

  it('rejects an aborted waiter with the signal’s reason, once, and forgets its listener when served', async () => {
    const { w, enqueue } = waiters(0);
    const controller = new AbortController();
    const aborted = enqueue(0, controller.signal);
    const other = new AbortController();
    const served = enqueue(0, other.signal);
    const reason = new Error('client left');
    controller.abort(reason);
    expect(await aborted).toEqual({ error: reason });
    expect([w.count, w.aborted]).toEqual([1, 1]);
    const waiter = w.take();
    expect(waiter?.state).not.toBe(DONE);
    w.serve(waiter as NonNullable<typeof waiter>, 'r', clock.now());
    other.abort();
    expect(await served).toEqual({ value: 'r' });
    expect(w.aborted).toBe(1);
  });

  it('names the acquire in the error of an abort whose reason is not an Error, and leaves no listener', async () => {
    const { w, enqueue } = waiters(0);
    const shared = new AbortController(); // one signal for many calls, as a request's would be
    void enqueue(0, shared.signal);
    const controller = new AbortController();
    const aborted = enqueue(0, controller.signal);
    expect(getEventListeners(shared.signal, 'abort')).toHaveLength(1);
    const served = w.take();
    w.serve(served as NonNullable<typeof served>, 'r', clock.now());
    expect(getEventListeners(shared.signal, 'abort')).toHaveLength(0);
    controller.abort('gone');
    const { error } = await aborted;
    expect(error).toBeInstanceOf(AbortedError);
    expect((error as AbortedError).message).toContain(`acquire from ${WHAT}`);
    expect((error as AbortedError).cause).toBe('gone');
  });

  it('counts nothing when there is nothing to take', () => {
    const { w } = waiters(0);
    expect([w.take(), w.take(), w.count]).toEqual([undefined, undefined, 0]);
  });

  it('times out or aborts a claimed waiter without counting it as queued', async () => {
    const { w, enqueue } = waiters(1_000);
    const claimedByTimeout = enqueue();
    const controller = new AbortController();
    const claimedByAbort = enqueue(0, controller.signal);
    const first = w.take();
    const second = w.take();
    for (const waiter of [first, second]) (waiter as NonNullable<typeof first>).state = CLAIMED;
    expect(w.count).toBe(0);
    await vi.advanceTimersByTimeAsync(1_000);
    controller.abort();
    expect((await claimedByTimeout).error).toBeInstanceOf(TimeoutError);
    expect((await claimedByAbort).error).toBeInstanceOf(Error);
    expect([w.count, w.timedOut, w.aborted]).toEqual([0, 1, 1]);
  });

  it('puts a requeued waiter back first, and times it out as before', async () => {
    const { w, enqueue } = waiters(1_000);
    const first = enqueue();
    void enqueue();
    const waiter = w.take() as NonNullable<ReturnType<typeof w.take>>;
    waiter.state = CLAIMED; // its resource failed validation
    w.requeue(waiter);
    expect([w.count, w.take()]).toEqual([2, waiter]);
    w.requeue(waiter);
    await vi.advanceTimersByTimeAsync(1_000);
    expect((await first).error).toBeInstanceOf(TimeoutError);
    expect(w.count).toBe(0);
  });

  it('fails one waiter with the error given', async () => {
    const { w, enqueue } = waiters(1_000);
    const outcome = enqueue();
    const waiter = w.take();
    const error = new Error('create failed');
    w.fail(waiter as NonNullable<typeof waiter>, error);
    expect(await outcome).toEqual({ error });
    await vi.advanceTimersByTimeAsync(1_000);
    expect(w.timedOut).toBe(0);
  });

  it('closes every queued waiter with ClosedError carrying the reason, and stops its timers', async () => {
    const { w, enqueue } = waiters(1_000);
    const [a, b, c] = [enqueue(), enqueue(), enqueue(500)];
    const first = w.take() as NonNullable<ReturnType<typeof w.take>>;
    const claimed = w.take() as NonNullable<ReturnType<typeof w.take>>;
    w.requeue(first);
    claimed.state = CLAIMED; // out of the queue, its resource being validated
    const reason = new Error('shutting down');
    w.closeAll(reason);
    for (const { error } of [await a, await c]) {
      expect(error).toBeInstanceOf(ClosedError);
      expect((error as Error).message).toBe(`${WHAT} is closed`);
      expect((error as Error).cause).toBe(reason);
    }
    expect(w.count).toBe(0);
    w.fail(claimed, new Error('its own end')); // the claimed one ends with its validation
    expect((await b).error).toEqual(new Error('its own end'));
    const bare = waiters(1_000);
    const last = bare.enqueue();
    bare.w.closeAll(undefined);
    expect(Object.hasOwn((await last).error as Error, 'cause')).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('times out the waiter the shared timer was armed for though the clock stands still, and no later one early', async () => {
    const still = new AcquireWaiters<string>({ now: () => 0 }, 1_000, WHAT);
    const enqueue = () => settle(still.enqueue(0, 1_000, undefined, undefined));
    const [served, second, third] = [enqueue(), enqueue(), enqueue()];
    const first = still.take();
    still.serve(first as NonNullable<typeof first>, 'r', 0);
    await vi.advanceTimersByTimeAsync(1_000); // armed for the one served: the others go by the clock
    expect([still.count, still.timedOut]).toEqual([2, 0]);
    await vi.advanceTimersByTimeAsync(1_000); // armed for the second, which still waits
    expect([still.count, still.timedOut]).toEqual([1, 1]);
    expect((await second).error).toBeInstanceOf(TimeoutError);
    await vi.advanceTimersByTimeAsync(1_000);
    expect((await third).error).toBeInstanceOf(TimeoutError);
    expect(await served).toEqual({ value: 'r' });
  });

  it('lets go of finished waiters at once, in its queue and its shared deadlines alike', async () => {
    const { w, enqueue } = waiters(1_000);
    const controller = new AbortController();
    void enqueue();
    void enqueue(1_000, controller.signal);
    void enqueue();
    expect(w.slots).toBe(6); // three in the queue, three on the shared timer
    const first = w.take();
    w.serve(first as NonNullable<typeof first>, 'r', clock.now());
    controller.abort(); // the second: left in place, flagged, until the head passes it
    const third = w.take();
    w.serve(third as NonNullable<typeof third>, 'r', clock.now());
    expect(w.slots).toBe(0);
    const claimed = enqueue();
    void enqueue();
    const validating = w.take() as NonNullable<ReturnType<typeof w.take>>;
    validating.state = CLAIMED;
    w.closeAll(undefined);
    expect(w.slots).toBe(2); // the deadlines keep the closed one behind the one being validated
    w.fail(validating, new Error('closed during validation'));
    expect(w.slots).toBe(0);
    expect((await claimed).error).toEqual(new Error('closed during validation'));
  });
});
