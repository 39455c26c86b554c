import { randomUUID } from 'node:crypto';
import type { Bus, BusHandler, JsonValue } from '../core/index.js';
import { isCloseable, isLoadstoneError } from '../core/index.js';

/** The assertions the contract suites use: a subset of vitest's and jest's `expect`. */
export type ContractAssertion = {
  /** `Object.is` equality. */
  toBe(expected: unknown): void;
  /** Deep equality. */
  toEqual(expected: unknown): void;
};

/**
 * The test functions a contract suite registers its tests with. Pass vitest's (or jest's):
 * `{ describe, it, expect }`; loadstone does not depend on a test runner.
 */
export type ContractTestApi = {
  /** Groups tests. */
  readonly describe: (name: string, body: () => void) => void;
  /** Registers a test; its promise rejects to fail it. */
  readonly it: (name: string, body: () => Promise<void>) => void;
  /** Starts an assertion. */
  readonly expect: (actual: unknown) => ContractAssertion;
};

/** What the bus contract passes to `makeBus`; the bus must be built with it. */
export type BusContractOptions = {
  /** The bus's handler-error hook: every bus takes an `onHandlerError` option with this shape. */
  readonly onHandlerError: (error: unknown, channel: string) => void;
};

/**
 * Registers the tests every {@link Bus} implementation must pass, so the in-process, cluster and
 * Redis buses (and yours) keep one behaviour. Each test makes a fresh bus, uses channels with
 * a random prefix (so a shared broker is fine), and destroys the bus at the end. Nothing
 * sleeps: tests wait for deliveries, so a bus that loses a message fails by the runner's
 * timeout.
 *
 * A remote bus must deliver to a subscription every message published after `subscribe()`
 * returned, so it must, e.g., make `publish()` wait for pending subscriptions to be confirmed.
 *
 * @param name - the implementation's name, used as the suite title.
 * @param makeBus - builds a bus configured with the given options; may be async.
 * @param t - the runner's `describe`, `it` and `expect`.
 *
 * @example
 * {@includeCode ../core/InProcessBus.test.ts#busContract}
 */
export function describeBusContract(
  name: string,
  makeBus: (options: BusContractOptions) => Bus | Promise<Bus>,
  t: ContractTestApi,
): void {
  const { describe, it, expect } = t;

  type Env = { bus: Bus; channel: (suffix: string) => string; handlerErrors: Inbox<unknown> };
  const test = (title: string, body: (env: Env) => Promise<void>): void => {
    it(title, async () => {
      const handlerErrors = inbox<unknown>();
      const bus = await makeBus({ onHandlerError: (error, channel) => handlerErrors.push(error, channel) });
      const prefix = `loadstone-contract-${randomUUID()}`;
      try {
        await body({ bus, channel: (suffix) => `${prefix}:${suffix}`, handlerErrors });
      } finally {
        await bus.destroy();
      }
    });
  };

  describe(`${name} (Bus contract)`, () => {
    test('delivers a published message to a subscriber, with its channel', async ({ bus, channel }) => {
      const box = inbox<JsonValue>();
      bus.subscribe(channel('a'), box.handler);
      await bus.publish(channel('a'), { hello: 'world' });
      await box.until(1);
      expect(box.items).toEqual([{ hello: 'world' }]);
      expect(box.channels).toEqual([channel('a')]);
    });

    test('delivers every message to every subscriber, in publish order', async ({ bus, channel }) => {
      const boxes = [inbox<JsonValue>(), inbox<JsonValue>(), inbox<JsonValue>()];
      for (const box of boxes) bus.subscribe(channel('a'), box.handler);
      const messages: JsonValue[] = Array.from({ length: 20 }, (_, i) =>
        i % 2 === 0 ? i : { i, tag: `m${i}` },
      );
      await Promise.all(messages.map((message) => bus.publish(channel('a'), message)));
      for (const box of boxes) {
        await box.until(messages.length);
        expect(box.items).toEqual(messages);
      }
    });

    test('delivers only the messages of the subscribed channel', async ({ bus, channel }) => {
      const a = inbox<JsonValue>();
      const b = inbox<JsonValue>();
      bus.subscribe(channel('a'), a.handler);
      bus.subscribe(channel('b'), b.handler);
      await bus.publish(channel('b'), 'b1');
      await bus.publish(channel('a'), 'a1');
      await bus.publish(channel('b'), 'b2');
      await bus.publish(channel('a'), 'a2');
      await Promise.all([a.until(2), b.until(2)]);
      expect(a.items).toEqual(['a1', 'a2']);
      expect(b.items).toEqual(['b1', 'b2']);
    });

    test('does not deliver messages published before subscribing', async ({ bus, channel }) => {
      const early = inbox<JsonValue>();
      bus.subscribe(channel('a'), early.handler);
      await bus.publish(channel('a'), 'before');
      await early.until(1);
      const late = inbox<JsonValue>();
      bus.subscribe(channel('a'), late.handler);
      await bus.publish(channel('a'), 'after');
      await Promise.all([early.until(2), late.until(1)]);
      expect(late.items).toEqual(['after']);
    });

    test('delivers asynchronously: no handler runs before publish() returns', async ({ bus, channel }) => {
      const box = inbox<JsonValue>();
      bus.subscribe(channel('a'), box.handler);
      const published = bus.publish(channel('a'), 1);
      expect(box.items.length).toBe(0);
      await published;
      await box.until(1);
      expect(box.items).toEqual([1]);
    });

    test('gives each subscriber its own copy of the message', async ({ bus, channel }) => {
      const sent = { list: [1, 2], nested: { n: 1 } };
      const mutator = inbox<JsonValue>((message) => {
        const m = message as { list: number[]; nested: { n: number } };
        m.list.push(3);
        m.nested.n = 2;
      });
      const reader = inbox<JsonValue>();
      bus.subscribe(channel('a'), mutator.handler);
      bus.subscribe(channel('a'), reader.handler);
      await bus.publish(channel('a'), sent);
      await Promise.all([mutator.until(1), reader.until(1)]);
      expect(reader.items).toEqual([{ list: [1, 2], nested: { n: 1 } }]);
      expect(sent).toEqual({ list: [1, 2], nested: { n: 1 } });
      expect(reader.items[0] === sent).toBe(false);
    });

    test('carries every kind of JSON value unchanged, dropping undefined properties', async ({
      bus,
      channel,
    }) => {
      const messages: JsonValue[] = [
        null,
        true,
        false,
        0,
        -1.5,
        Number.MAX_SAFE_INTEGER,
        '',
        'ünïcödé ✓ \u2028 "quoted"',
        [],
        {},
        [[1, [2, [3]]], { a: [] }],
        { 'odd key': { ключ: null }, deep: { er: { est: [true, 'x', 1e-7] } } },
      ];
      const box = inbox<JsonValue>();
      bus.subscribe(channel('a'), box.handler);
      for (const message of messages) await bus.publish(channel('a'), message);
      await bus.publish(channel('a'), { kept: 1, dropped: undefined });
      await box.until(messages.length + 1);
      expect(box.items.slice(0, messages.length)).toEqual(messages);
      expect(Object.keys(box.items[messages.length] as object)).toEqual(['kept']);
    });

    test('calls a handler once per subscription; disposing one leaves the other', async ({
      bus,
      channel,
    }) => {
      const box = inbox<JsonValue>();
      const first = bus.subscribe(channel('a'), box.handler);
      bus.subscribe(channel('a'), box.handler);
      await bus.publish(channel('a'), 1);
      await box.until(2);
      first[Symbol.dispose]();
      await bus.publish(channel('a'), 2);
      await box.until(3);
      const sentinel = inbox<JsonValue>();
      bus.subscribe(channel('a'), sentinel.handler);
      await bus.publish(channel('a'), 3);
      await Promise.all([box.until(4), sentinel.until(1)]);
      expect(box.items).toEqual([1, 1, 2, 3]);
    });

    test('stops delivering to a disposed subscription; disposing is idempotent', async ({ bus, channel }) => {
      const gone = inbox<JsonValue>();
      const sentinel = inbox<JsonValue>();
      const subscription = bus.subscribe(channel('a'), gone.handler);
      bus.subscribe(channel('a'), sentinel.handler);
      await bus.publish(channel('a'), 1);
      await Promise.all([gone.until(1), sentinel.until(1)]);
      subscription[Symbol.dispose]();
      subscription[Symbol.dispose]();
      await bus.publish(channel('a'), 2);
      await sentinel.until(2);
      expect(gone.items).toEqual([1]);
    });

    test('reports a throwing or rejecting handler to onHandlerError, and delivers on', async (env) => {
      const { bus, channel, handlerErrors } = env;
      const boom = new Error('boom');
      const rejected = new Error('rejected');
      bus.subscribe(channel('a'), () => {
        throw boom;
      });
      bus.subscribe(channel('a'), (() => Promise.reject(rejected)) as BusHandler);
      const box = inbox<JsonValue>();
      bus.subscribe(channel('a'), box.handler);
      await bus.publish(channel('a'), 1);
      await bus.publish(channel('a'), 2);
      await Promise.all([box.until(2), handlerErrors.until(4)]);
      expect(box.items).toEqual([1, 2]);
      expect(handlerErrors.items.filter((error) => error === boom).length).toBe(2);
      expect(handlerErrors.items.filter((error) => error === rejected).length).toBe(2);
      expect(handlerErrors.channels).toEqual([channel('a'), channel('a'), channel('a'), channel('a')]);
    });

    test('rejects, never throws, a message that does not survive JSON', async ({ bus, channel }) => {
      const cyclic: Record<string, unknown> = { a: 1 };
      cyclic.self = cyclic;
      const bad: unknown[] = [
        undefined,
        () => {},
        1n,
        Symbol('s'),
        Number.NaN,
        Number.POSITIVE_INFINITY,
        new Date(0),
        new Map(),
        cyclic,
        [1, undefined],
        { nested: { fn() {} } },
        { nested: [{ big: 2n }] },
      ];
      const box = inbox<JsonValue>();
      bus.subscribe(channel('a'), box.handler);
      for (const message of bad) {
        const outcome = settle(() => bus.publish(channel('a'), message as JsonValue));
        expect(outcome.thrown).toBe(undefined);
        const error = await outcome.rejection;
        expect(isLoadstoneError(error, 'ERR_LOADSTONE_INVALID_OPTION')).toBe(true);
      }
      await bus.publish(channel('a'), 'ok');
      await box.until(1);
      expect(box.items).toEqual(['ok']);
    });

    test('validates channels and handlers', async ({ bus }) => {
      for (const channel of ['', 42, undefined]) {
        const outcome = settle(() => bus.publish(channel as string, 1));
        expect(outcome.thrown).toBe(undefined);
        expect(isLoadstoneError(await outcome.rejection, 'ERR_LOADSTONE_INVALID_OPTION')).toBe(true);
        const thrown = settle(() => bus.subscribe(channel as string, () => {})).thrown;
        expect(isLoadstoneError(thrown, 'ERR_LOADSTONE_INVALID_OPTION')).toBe(true);
      }
      const thrown = settle(() => bus.subscribe('a', 'not a function' as unknown as BusHandler)).thrown;
      expect(isLoadstoneError(thrown, 'ERR_LOADSTONE_INVALID_OPTION')).toBe(true);
    });

    test('close() delivers what was published, then refuses more; it is idempotent', async ({
      bus,
      channel,
    }) => {
      const box = inbox<JsonValue>();
      bus.subscribe(channel('a'), box.handler);
      for (let i = 0; i < 5; i++) await bus.publish(channel('a'), i);
      expect(bus.closed).toBe(false);
      const closing = [bus.close(), bus.close()];
      expect(bus.closed).toBe(true);
      await Promise.all(closing);
      expect(box.items).toEqual([0, 1, 2, 3, 4]);
      await expectClosed(bus, channel('a'));
      await bus.close();
    });

    test('destroy() refuses further use; close() after it resolves', async ({ bus, channel }) => {
      await bus.destroy(new Error('shutdown'));
      expect(bus.closed).toBe(true);
      await expectClosed(bus, channel('a'));
      await bus.close();
      await bus.destroy();
    });

    test('close() with an aborted signal destroys and rejects with the reason', async ({ bus, channel }) => {
      const reason = new Error('give up');
      const error = await settle(() => bus.close({ signal: AbortSignal.abort(reason) })).rejection;
      expect(error).toBe(reason);
      expect(bus.closed).toBe(true);
      await expectClosed(bus, channel('a'));
    });

    test('is Closeable, and [Symbol.asyncDispose]() closes it', async ({ bus }) => {
      expect(isCloseable(bus)).toBe(true);
      await bus[Symbol.asyncDispose]();
      expect(bus.closed).toBe(true);
    });
  });

  async function expectClosed(bus: Bus, channel: string): Promise<void> {
    const publish = settle(() => bus.publish(channel, 1));
    expect(publish.thrown).toBe(undefined);
    expect(isLoadstoneError(await publish.rejection, 'ERR_LOADSTONE_CLOSED')).toBe(true);
    const subscribe = settle(() => bus.subscribe(channel, () => {}));
    expect(isLoadstoneError(subscribe.thrown, 'ERR_LOADSTONE_CLOSED')).toBe(true);
  }
}

type Inbox<T> = {
  /** Pass as the handler. */
  readonly handler: (item: T, channel: string) => void;
  /** Records an item, as the handler does. */
  readonly push: (item: T, channel: string) => void;
  readonly items: T[];
  readonly channels: string[];
  /** Resolves once `count` items have arrived. */
  readonly until: (count: number) => Promise<void>;
};

/** Collects what a handler receives and lets a test wait for a count, without timers. */
function inbox<T>(onItem?: (item: T) => void): Inbox<T> {
  const items: T[] = [];
  const channels: string[] = [];
  let waiters: { count: number; resolve: () => void }[] = [];
  const push = (item: T, channel: string): void => {
    items.push(item);
    channels.push(channel);
    onItem?.(item);
    waiters = waiters.filter((waiter) => {
      if (items.length < waiter.count) return true;
      waiter.resolve();
      return false;
    });
  };
  const until = (count: number): Promise<void> =>
    items.length >= count ? Promise.resolve() : new Promise((resolve) => waiters.push({ count, resolve }));
  return { handler: push, push, items, channels, until };
}

/**
 * Calls `fn`, telling a synchronous throw apart from a rejection; `rejection` resolves to the
 * rejection reason, or `undefined` if it fulfilled.
 */
function settle(fn: () => unknown): { thrown: unknown; rejection: Promise<unknown> } {
  try {
    const result = fn();
    return {
      thrown: undefined,
      rejection: Promise.resolve(result).then(
        () => undefined,
        (error: unknown) => error,
      ),
    };
  } catch (error) {
    return { thrown: error, rejection: Promise.resolve(undefined) };
  }
}
