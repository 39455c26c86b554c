// The close contract every Closeable keeps (drainUnlessAborted, drainWithin): wait for the drain;
// an abort or the close deadline destroys instead; the drain's own failure passes through; and
// nothing (listener, deadline) outlives the close.
import { getEventListeners } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import { AbortedError, TimeoutError } from '../errors/index.js';
import { abortReason, drainUnlessAborted, drainWithin } from './abort.js';

function deferred() {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const listeners = (signal: AbortSignal) => getEventListeners(signal, 'abort').length;

describe('abortReason', () => {
  it('is the reason itself when an Error, else an AbortedError naming the operation', () => {
    const reason = new Error('stop');
    expect(abortReason(AbortSignal.abort(reason), 'close')).toBe(reason);
    const wrapped = abortReason(AbortSignal.abort('bye'), 'close of X');
    expect(wrapped).toBeInstanceOf(AbortedError);
    expect(wrapped).toMatchObject({ message: 'close of X was aborted', cause: 'bye' });
  });
});

describe('drainUnlessAborted', () => {
  it('ends a drain still running after timeoutMs with destroy(TimeoutError), and resolves', async () => {
    const destroy = vi.fn(async () => {});
    await drainUnlessAborted(new Promise<void>(() => {}), undefined, destroy, 'close of Thing', 5);
    expect(destroy).toHaveBeenCalledTimes(1);
    const reason = destroy.mock.calls[0]?.[0 as never] as unknown;
    expect(reason).toBeInstanceOf(TimeoutError);
    expect(reason).toMatchObject({ message: 'close of Thing timed out after 5 ms', timeoutMs: 5 });
  });

  it('sets no deadline when timeoutMs is 0', async () => {
    const destroy = vi.fn(async () => {});
    const drain = deferred();
    const closing = drainUnlessAborted(drain.promise, undefined, destroy, 'close', 0);
    await sleep(10);
    expect(destroy).not.toHaveBeenCalled();
    drain.resolve();
    await closing;
  });

  it('calls no destroy once the drain finished in time, even after the deadline would have passed', async () => {
    const destroy = vi.fn(async () => {});
    await drainUnlessAborted(Promise.resolve(), undefined, destroy, 'close', 5);
    await sleep(15);
    expect(destroy).not.toHaveBeenCalled();
  });

  it("passes the drain's own failure through and leaves no listener on the signal", async () => {
    const signal = new AbortController().signal;
    const failure = new Error('drain failed');
    const drain = deferred();
    const closing = drainUnlessAborted(drain.promise, signal, async () => {}, 'close');
    expect(listeners(signal)).toBe(1);
    drain.reject(failure);
    await expect(closing).rejects.toBe(failure);
    expect(listeners(signal)).toBe(0);
  });

  it('leaves no listener once the drain resolves', async () => {
    const signal = new AbortController().signal;
    await drainUnlessAborted(Promise.resolve(), signal, async () => {}, 'close');
    expect(listeners(signal)).toBe(0);
  });

  it('rejects with the abort, not with a drain failure that follows it', async () => {
    const controller = new AbortController();
    const drain = deferred();
    const destroy = vi.fn(async () => drain.reject(new Error('destroyed mid-drain')));
    const closing = drainUnlessAborted(drain.promise, controller.signal, destroy, 'close of Thing');
    controller.abort('give up');
    await expect(closing).rejects.toMatchObject({ message: 'close of Thing was aborted', cause: 'give up' });
    expect(destroy).toHaveBeenCalledWith('give up');
    expect(listeners(controller.signal)).toBe(0);
  });
  it('leaves no listener after an abort, even when the drain never ends', async () => {
    const controller = new AbortController();
    const closing = drainUnlessAborted(
      new Promise<void>(() => {}),
      controller.signal,
      async () => {},
      'close',
    );
    controller.abort(new Error('now'));
    await expect(closing).rejects.toThrow('now');
    expect(listeners(controller.signal)).toBe(0);
  });
});

describe('drainWithin', () => {
  it('resolves with the drain and clears its deadline', async () => {
    const destroy = vi.fn(async () => {});
    await drainWithin(Promise.resolve(), 5, destroy, 'close');
    await sleep(15);
    expect(destroy).not.toHaveBeenCalled();
  });

  it('resolves after destroy when the deadline passes, even if destroy fails', async () => {
    const destroy = vi.fn(async () => {
      throw new Error('destroy failed');
    });
    await expect(drainWithin(new Promise<void>(() => {}), 5, destroy, 'close')).resolves.toBeUndefined();
    expect(destroy).toHaveBeenCalledTimes(1);
  });
});
