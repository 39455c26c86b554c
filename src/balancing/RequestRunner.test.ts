// `run` beyond its examples: aborts during the callback, the outcome recorded for an aborted
// request, the error for a non-Error abort reason, and no listener left behind.
import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../testing/index.js';
import { LoadBalancer } from './LoadBalancer.js';

const backends = (...ids: string[]) => ids.map((id) => ({ id, target: id }));

describe('LoadBalancer.run', () => {
  it('rejects with the reason when the callback aborts the signal itself', async () => {
    const lb = new LoadBalancer({ backends: backends('a') });
    const controller = new AbortController();
    const reason = new Error('changed my mind');
    const result = lb.run(
      () => {
        controller.abort(reason);
        return 'value';
      },
      { signal: controller.signal },
    );
    await expect(result).rejects.toBe(reason);
  });

  it('records a request aborted by the caller as cancelled, however the callback ends', async () => {
    const clock = new FakeClock();
    const lb = new LoadBalancer({ backends: backends('a'), clock, outlierDetection: false });
    await expect(lb.run(() => Promise.reject(new Error('503')))).rejects.toThrow('503');
    const controller = new AbortController();
    let finish: () => void = () => {};
    const pending = lb.run(() => new Promise<string>((resolve) => (finish = () => resolve('late'))), {
      signal: controller.signal,
    });
    controller.abort(new Error('gave up'));
    await expect(pending).rejects.toThrow('gave up');
    clock.advance(10);
    finish();
    await expect.poll(() => lb.stats().inFlight).toBe(0);
    expect(lb.stats().backends[0]).toMatchObject({
      requests: 2,
      failures: 1,
      consecutiveFailures: 1, // not reset, as a success would
      latency: { count: 1 },
    });
  });

  it('wraps an abort reason that is not an Error in an AbortedError', async () => {
    const lb = new LoadBalancer({ backends: backends('a') });
    const error = await lb
      .run(() => 1, { signal: AbortSignal.abort('not an Error') })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'ERR_LOADSTONE_ABORTED',
      message: 'LoadBalancer.run was aborted',
      cause: 'not an Error',
    });
    const controller = new AbortController();
    const later = lb.run(() => new Promise(() => {}), { signal: controller.signal });
    controller.abort(42);
    await expect(later).rejects.toMatchObject({ message: 'LoadBalancer.run was aborted', cause: 42 });
  });

  it('leaves no abort listener on the signal it hands the callback', async () => {
    const lb = new LoadBalancer({ backends: backends('a') });
    const signals: AbortSignal[] = [];
    await lb.run((_target, signal) => {
      signals.push(signal);
      return 1;
    });
    await lb
      .run(
        (_target, signal) => {
          signals.push(signal);
          return Promise.reject(new Error('x'));
        },
        { signal: new AbortController().signal },
      )
      .catch(() => undefined);
    expect(signals.map((signal) => getEventListeners(signal, 'abort').length)).toEqual([0, 0]);
  });
});
