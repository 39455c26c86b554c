// close() and destroy() beyond their examples: the default and the unbounded close timeout, an
// idle or repeated close, a close signal that aborts first or never, and the errors they give.
import { getEventListeners } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { expectInvalidOption } from '../../test/helpers/expectInvalidOption.js';
import { ClosedError } from '../core/index.js';
import { LoadBalancer } from './LoadBalancer.js';

const backends = (...ids: string[]) => ids.map((id) => ({ id, target: id }));
/** Lets every pending callback run (real timers). */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('close()', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('resolves at once when nothing is in flight', async () => {
    const lb = new LoadBalancer({ backends: backends('a') });
    let closed = false;
    void lb.close().then(() => (closed = true));
    await settle();
    expect(closed).toBe(true);
    expect(lb.closed).toBe(true);
  });

  it('resolves every concurrent close once the last request ends', async () => {
    const lb = new LoadBalancer({ backends: backends('a') });
    const lease = lb.acquire();
    const closed: number[] = [];
    void lb.close().then(() => closed.push(1));
    void lb.close().then(() => closed.push(2));
    await settle();
    expect(closed).toEqual([]);
    lease.release();
    await settle();
    expect(closed.sort()).toEqual([1, 2]);
  });

  it('waits for the last of several requests, not the first to end', async () => {
    const lb = new LoadBalancer({ backends: backends('a', 'b') });
    const first = lb.acquire();
    const second = lb.acquire();
    let closed = false;
    void lb.close().then(() => (closed = true));
    first.release();
    await settle();
    expect(closed).toBe(false);
    second.release('failure');
    await settle();
    expect(closed).toBe(true);
  });

  it('waits 30 s by default before it destroys a hung run', async () => {
    vi.useFakeTimers();
    const lb = new LoadBalancer({ backends: backends('a') });
    const hung = lb.run(() => new Promise(() => {})).catch((e: unknown) => e);
    let closed = false;
    void lb.close().then(() => (closed = true));
    await vi.advanceTimersByTimeAsync(29_999);
    expect(closed).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(closed).toBe(true);
    const error = (await hung) as ClosedError;
    expect(error).toBeInstanceOf(ClosedError);
    expect(error.message).toBe('LoadBalancer is closed');
    expect(error.cause).toMatchObject({
      code: 'ERR_LOADSTONE_TIMEOUT',
      message: 'close of LoadBalancer timed out after 30000 ms',
    });
  });

  it('waits without bound with closeTimeoutMs 0', async () => {
    vi.useFakeTimers();
    const lb = new LoadBalancer({ backends: backends('a'), closeTimeoutMs: 0 });
    const lease = lb.acquire();
    let closed = false;
    void lb.close().then(() => (closed = true));
    await vi.advanceTimersByTimeAsync(3_600_000);
    expect(closed).toBe(false);
    lease.release();
    await vi.advanceTimersByTimeAsync(0);
    expect(closed).toBe(true);
  });

  it('with a signal aborted already, destroys the runs in flight and rejects with its reason', async () => {
    const lb = new LoadBalancer({ backends: backends('a') });
    const pending = lb.run(() => new Promise(() => {}));
    const reason = new Error('no time');
    await expect(lb.close({ signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    await expect(pending).rejects.toMatchObject({ code: 'ERR_LOADSTONE_CLOSED', cause: reason });
  });

  it('removes its listener from a signal that never aborts', async () => {
    const lb = new LoadBalancer({ backends: backends('a') });
    const lease = lb.acquire();
    const controller = new AbortController();
    const closing = lb.close({ signal: controller.signal });
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    lease.release();
    await closing;
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('rejects options that are not an object', async () => {
    const lb = new LoadBalancer({ backends: backends('a') });
    const error = await lb.close(1 as never).catch((e: unknown) => e);
    expectInvalidOption(
      () => {
        throw error;
      },
      'options',
      'an object',
    );
  });

  it('is what asyncDispose does', async () => {
    const lb = new LoadBalancer({ backends: backends('a') });
    await lb[Symbol.asyncDispose]();
    expect(lb.closed).toBe(true);
    expect(() => lb.acquire()).toThrow(ClosedError);
    expect(() => lb.add({ id: 'b', target: 'b' })).toThrow('LoadBalancer is closed');
  });
});

describe('destroy()', () => {
  it('resolves on an idle balancer, and stops intake', async () => {
    const lb = new LoadBalancer({ backends: backends('a') });
    await lb.destroy();
    expect(lb.closed).toBe(true);
    await expect(lb.run(() => 1)).rejects.toThrow(ClosedError);
  });

  it('keeps the reason of the first destroy', async () => {
    const lb = new LoadBalancer({ backends: backends('a') });
    const pending = lb.run(() => new Promise(() => {}));
    await lb.destroy('first');
    await lb.destroy('second');
    await expect(pending).rejects.toMatchObject({ cause: 'first' });
    await expect(lb.run(() => 1)).rejects.toMatchObject({ message: 'LoadBalancer is closed' });
  });

  it('does not warn of a listener leak with many runs in flight', async () => {
    const warn = vi.spyOn(process, 'emitWarning');
    try {
      const lb = new LoadBalancer({ backends: backends('a') });
      const runs = Array.from({ length: 20 }, () =>
        lb.run(() => new Promise(() => {})).catch(() => 'abandoned'),
      );
      await lb.destroy();
      expect(await Promise.all(runs)).toEqual(Array.from({ length: 20 }, () => 'abandoned'));
      expect(warn).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
    }
  });
});
