import { afterEach, describe, expect, it, vi } from 'vitest';
import { describeBusContract } from '../testing/busContract.js';
import type { Bus } from './Bus.js';
import { isLoadstoneError } from './errors/index.js';
import { InProcessBus } from './InProcessBus.js';
import type { JsonValue } from './Json.js';

// #region busContract
describeBusContract('InProcessBus', (options) => new InProcessBus(options), { describe, it, expect });
// #endregion busContract

afterEach(() => {
  vi.restoreAllMocks();
});

/** Waits for queued deliveries by closing the bus: close() resolves once they have run. */
const drain = (bus: Bus): Promise<void> => bus.close();

describe('InProcessBus', () => {
  it('publishes to subscribers', async () => {
    // #region inProcessBus
    const bus = new InProcessBus();
    const seen: JsonValue[] = [];
    const subscription = bus.subscribe('cache:invalidate', (message) => {
      seen.push(message);
    });
    await bus.publish('cache:invalidate', { keys: ['user:1', 'user:2'] });
    // handlers run in a later microtask; close() waits for them
    await bus.close();
    // seen: [{ keys: ['user:1', 'user:2'] }]
    subscription[Symbol.dispose]();
    // #endregion inProcessBus
    expect(seen).toEqual([{ keys: ['user:1', 'user:2'] }]);
  });

  it('can be used through the Bus interface, with await using', async () => {
    const evicted: string[] = [];
    // #region bus
    async function invalidateEverywhere(bus: Bus, key: string): Promise<void> {
      await bus.publish('cache:invalidate', { key });
    }
    {
      await using bus: Bus = new InProcessBus();
      using _subscription = bus.subscribe('cache:invalidate', (message) => {
        evicted.push((message as { key: string }).key);
      });
      await invalidateEverywhere(bus, 'user:1');
    } // disposes the subscription, then closes the bus, delivering 'user:1' first
    // #endregion bus
    expect(evicted).toEqual(['user:1']);
  });

  it('warns with LOADSTONE_WARN_BUS_HANDLER_THREW by default when a handler throws', async () => {
    const emitWarning = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const bus = new InProcessBus();
    const received: JsonValue[] = [];
    bus.subscribe('c', () => {
      throw new Error('boom');
    });
    bus.subscribe('c', (message) => received.push(message));
    await bus.publish('c', 1);
    await drain(bus);
    expect(received).toEqual([1]);
    expect(emitWarning).toHaveBeenCalledTimes(1);
    expect(emitWarning.mock.calls[0]?.[0]).toBe('An InProcessBus handler for channel "c" threw: Error: boom');
    expect(emitWarning.mock.calls[0]?.[1]).toMatchObject({ code: 'LOADSTONE_WARN_BUS_HANDLER_THREW' });
  });

  it('falls back to the warning when onHandlerError itself throws', async () => {
    const emitWarning = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const bus = new InProcessBus({
      onHandlerError: () => {
        throw new Error('hook broke');
      },
    });
    bus.subscribe('c', () => {
      throw new Error('boom');
    });
    await bus.publish('c', 1);
    await drain(bus);
    expect(emitWarning.mock.calls[0]?.[0]).toBe(
      'An InProcessBus handler for channel "c" threw: Error: hook broke',
    );
  });

  it('delivers to those subscribed when publish() was called and still subscribed at delivery', async () => {
    const bus = new InProcessBus();
    const early: JsonValue[] = [];
    const late: JsonValue[] = [];
    const subscription = bus.subscribe('c', (m) => early.push(m));
    const first = bus.publish('c', 1);
    bus.subscribe('c', (m) => late.push(m)); // after publish, before delivery
    const second = bus.publish('c', 2);
    subscription[Symbol.dispose](); // before either is delivered
    await Promise.all([first, second, drain(bus)]);
    expect(early).toEqual([]);
    expect(late).toEqual([2]);
  });

  it('keeps publish order when handlers publish', async () => {
    const bus = new InProcessBus();
    const log: JsonValue[] = [];
    let nested: Promise<void> | undefined;
    bus.subscribe('c', (m) => {
      log.push(m);
      if (m === 1) nested = bus.publish('c', 3); // published after 2
    });
    await Promise.all([bus.publish('c', 1), bus.publish('c', 2)]);
    await nested;
    await drain(bus);
    expect(log).toEqual([1, 2, 3]);
  });

  it('destroy() drops messages not yet delivered', async () => {
    const bus = new InProcessBus();
    const received: JsonValue[] = [];
    bus.subscribe('c', (m) => received.push(m));
    const published = bus.publish('c', 1);
    const closing = bus.close();
    await bus.destroy();
    await Promise.all([published, closing]);
    expect(received).toEqual([]);
  });

  it('close({ signal }) aborted during the drain destroys and rejects with the reason', async () => {
    const bus = new InProcessBus();
    const received: JsonValue[] = [];
    bus.subscribe('c', (m) => received.push(m));
    const published = bus.publish('c', 1);
    const controller = new AbortController();
    const closing = bus.close({ signal: controller.signal });
    const plain = bus.close();
    controller.abort('stop');
    const error = await closing.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isLoadstoneError(error, 'ERR_LOADSTONE_ABORTED')).toBe(true);
    expect((error as Error).cause).toBe('stop');
    await Promise.all([published, plain]);
    expect(received).toEqual([]);
  });

  it('close() rejects an options.signal that is not an AbortSignal', async () => {
    const bus = new InProcessBus();
    await expect(bus.close({ signal: 'soon' as unknown as AbortSignal })).rejects.toMatchObject({
      code: 'ERR_LOADSTONE_INVALID_OPTION',
      message: 'Expected `options.signal` to be an AbortSignal, got `"soon"` (string)',
    });
  });

  it.each([
    [
      { nested: { fn() {} } },
      'Expected `message.nested.fn` to be JSON-serialisable (null, a boolean, a finite number, a string, an array or a plain object), got `[function fn]` (function)',
    ],
    [
      { list: [1, { 'a b': 2n }] },
      'Expected `message.list[1]["a b"]` to be JSON-serialisable (null, a boolean, a finite number, a string, an array or a plain object), got `2n` (bigint)',
    ],
    [
      undefined,
      'Expected `message` to be JSON-serialisable (null, a boolean, a finite number, a string, an array or a plain object), got undefined',
    ],
  ])('names the offending part of a bad message: %#', async (message, expected) => {
    const bus = new InProcessBus();
    await expect(bus.publish('c', message as JsonValue)).rejects.toThrow(expected);
  });

  it('names where a cycle closes', async () => {
    const bus = new InProcessBus();
    const node: { next?: unknown } = {};
    node.next = [node];
    await expect(bus.publish('c', node as JsonValue)).rejects.toThrow(
      'Expected `message.next[0]` to be acyclic (JSON cannot contain a cycle), got `[object Object]` (object)',
    );
  });

  it('accepts a shared, non-cyclic object in two places', async () => {
    const bus = new InProcessBus();
    const shared = { x: 1 };
    const received: JsonValue[] = [];
    bus.subscribe('c', (m) => received.push(m));
    await bus.publish('c', { a: shared, b: [shared] });
    await drain(bus);
    expect(received).toEqual([{ a: { x: 1 }, b: [{ x: 1 }] }]);
  });

  it('names itself and the argument at fault in its errors', async () => {
    const bus = new InProcessBus();
    expect(() => new InProcessBus({ onError: () => {} } as never)).toThrow(
      'Expected `options.onError` to be absent: it is not an option of InProcessBus, got `[function onError]` (function)',
    );
    await expect(bus.publish('', 1)).rejects.toMatchObject({ option: 'channel' });
    expect(() => bus.subscribe('', () => {})).toThrow(expect.objectContaining({ option: 'channel' }));
    expect(() => bus.subscribe('c', 1 as never)).toThrow(expect.objectContaining({ option: 'handler' }));
    await expect(bus.close({ wait: 1 } as never)).rejects.toMatchObject({
      expected: 'absent: it is not an option of InProcessBus.close',
    });
    await bus.close();
    await expect(bus.publish('c', 1)).rejects.toMatchObject({ message: 'InProcessBus is closed' });
    expect(() => bus.subscribe('c', () => {})).toThrow('InProcessBus is closed');
  });

  it('close() resolves only once the messages already published are delivered', async () => {
    const bus = new InProcessBus();
    const received: JsonValue[] = [];
    bus.subscribe('c', (m) => received.push(m));
    void bus.publish('c', 1);
    void bus.publish('c', 2);
    await bus.close();
    expect(received).toEqual([1, 2]);
  });

  it('names the close in an abort whose reason is not an Error', async () => {
    const bus = new InProcessBus();
    bus.subscribe('c', () => {});
    void bus.publish('c', 1);
    await expect(bus.close({ signal: AbortSignal.abort('now') })).rejects.toMatchObject({
      message: 'InProcessBus close was aborted',
    });
  });

  it('validates its options', () => {
    expect(() => new InProcessBus({ onHandlerError: 1 as unknown as () => void })).toThrow(
      'Expected `options.onHandlerError` to be a function, got `1` (number)',
    );
    expect(() => new InProcessBus(null as unknown as undefined)).toThrow(
      'Expected `options` to be an object, got null',
    );
  });
});
