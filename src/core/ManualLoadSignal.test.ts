import { afterEach, describe, expect, it, vi } from 'vitest';
import { FakeClock } from '../testing/FakeClock.js';
import type { LoadChange, LoadSignal } from './LoadSignal.js';
import { ManualLoadSignal } from './ManualLoadSignal.js';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('ManualLoadSignal', () => {
  it('notifies subscribers synchronously, only on change', () => {
    const clock = new FakeClock({ startMs: 5 });
    // #region manual
    const load = new ManualLoadSignal({ clock });
    const changes: LoadChange[] = [];
    using _subscription = load.subscribe((change) => changes.push(change));
    load.set('degraded', 'event loop delay p99 > 100 ms');
    load.set('degraded'); // no change, no notification
    load.set('healthy');
    // changes: [{ status: 'degraded', previous: 'healthy', reason: '…', at: 5 },
    //           { status: 'healthy', previous: 'degraded', at: 5 }]
    // #endregion manual
    expect(changes).toEqual([
      { status: 'degraded', previous: 'healthy', reason: 'event loop delay p99 > 100 ms', at: 5 },
      { status: 'healthy', previous: 'degraded', at: 5 },
    ]);
    expect('reason' in (changes[1] as object)).toBe(false);
    expect(Object.isFrozen(changes[0])).toBe(true);
  });

  it('lets consumers react through the LoadSignal interface', () => {
    // #region loadSignal
    function shedOptionalWork(load: LoadSignal, queue: { pause(): void; resume(): void }): Disposable {
      return load.subscribe(({ status }) => (status === 'healthy' ? queue.resume() : queue.pause()));
    }
    const load = new ManualLoadSignal();
    const queue = { paused: false, pause: () => (queue.paused = true), resume: () => (queue.paused = false) };
    const subscription = shedOptionalWork(load, queue);
    load.set('critical'); // queue.paused === true
    // #endregion loadSignal
    expect(queue.paused).toBe(true);
    load.set('healthy');
    expect(queue.paused).toBe(false);
    subscription[Symbol.dispose]();
    load.set('critical');
    expect(queue.paused).toBe(false);
  });

  it('exposes the status, starting from initialStatus, stamped by the clock', () => {
    const clock = new FakeClock();
    const load = new ManualLoadSignal({ initialStatus: 'critical', clock });
    expect(load.status).toBe('critical');
    const changes: LoadChange[] = [];
    load.subscribe((change) => changes.push(change));
    clock.advance(10);
    load.set('degraded');
    expect(load.status).toBe('degraded');
    expect(changes).toEqual([{ status: 'degraded', previous: 'critical', at: 10 }]);
    expect(new ManualLoadSignal().status).toBe('healthy');
  });

  it('updates status before notifying', () => {
    const load = new ManualLoadSignal();
    const seen: string[] = [];
    load.subscribe(() => seen.push(load.status));
    load.set('degraded');
    expect(seen).toEqual(['degraded']);
  });

  it('unsubscribes only the disposed subscription, idempotently', () => {
    const load = new ManualLoadSignal();
    const calls: string[] = [];
    const listener = (change: LoadChange): void => {
      calls.push(change.status);
    };
    const first = load.subscribe(listener);
    load.subscribe(listener);
    load.set('degraded');
    first[Symbol.dispose]();
    first[Symbol.dispose]();
    load.set('critical');
    expect(calls).toEqual(['degraded', 'degraded', 'critical']);
  });

  it('isolates a throwing listener and reports it as a LOADSTONE_WARN_LISTENER_THREW warning', () => {
    const emitWarning = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const load = new ManualLoadSignal();
    const seen: string[] = [];
    load.subscribe(() => {
      throw new Error('boom');
    });
    load.subscribe((change) => seen.push(change.status));
    expect(() => load.set('critical')).not.toThrow();
    expect(seen).toEqual(['critical']);
    expect(emitWarning).toHaveBeenCalledTimes(1);
    expect(emitWarning.mock.calls[0]?.[0]).toBe('A LoadSignal listener threw: Error: boom');
    expect(emitWarning.mock.calls[0]?.[1]).toMatchObject({ code: 'LOADSTONE_WARN_LISTENER_THREW' });
  });

  it('delivers changes made by a listener after the current one, to everyone, in order', () => {
    const load = new ManualLoadSignal();
    const a: string[] = [];
    const b: string[] = [];
    load.subscribe((change) => {
      a.push(`${change.previous}->${change.status}`);
      if (change.status === 'critical') load.set('degraded', 'auto-recover');
    });
    load.subscribe((change) => b.push(`${change.previous}->${change.status}`));
    load.set('critical');
    expect(a).toEqual(['healthy->critical', 'critical->degraded']);
    expect(b).toEqual(['healthy->critical', 'critical->degraded']);
    expect(load.status).toBe('degraded');
  });

  it('skips a listener unsubscribed by an earlier one, and does not call one added meanwhile', () => {
    const load = new ManualLoadSignal();
    const calls: string[] = [];
    let second: Disposable | undefined;
    load.subscribe(() => {
      calls.push('first');
      second?.[Symbol.dispose]();
      load.subscribe(() => calls.push('added'));
    });
    second = load.subscribe(() => calls.push('second'));
    load.set('degraded');
    expect(calls).toEqual(['first']);
  });

  it.each([
    [
      () => new ManualLoadSignal({ initialStatus: 'ok' as 'healthy' }),
      'Expected `options.initialStatus` to be one of "healthy", "degraded", "critical", got `"ok"` (string)',
    ],
    [
      () => new ManualLoadSignal({ clock: {} as FakeClock }),
      'Expected `options.clock` to be a Clock (an object with a now() method), got `{}` (object)',
    ],
    [
      () => new ManualLoadSignal({ status: 'healthy' } as never),
      'Expected `options.status` to be absent: it is not an option of ManualLoadSignal, got `"healthy"` (string)',
    ],
    [
      () => new ManualLoadSignal('healthy' as never),
      'Expected `options` to be an object, got `"healthy"` (string)',
    ],
    [
      () => new ManualLoadSignal().set('bad' as 'healthy'),
      'Expected `status` to be one of "healthy", "degraded", "critical", got `"bad"` (string)',
    ],
    [
      () => new ManualLoadSignal().set('critical', 42 as unknown as string),
      'Expected `reason` to be a string, got `42` (number)',
    ],
    [
      () => new ManualLoadSignal().subscribe(null as unknown as () => void),
      'Expected `listener` to be a function, got null',
    ],
  ])('validates: %#', (act, message) => {
    expect(act).toThrow(expect.objectContaining({ code: 'ERR_LOADSTONE_INVALID_OPTION', message }));
  });
});
