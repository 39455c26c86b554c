import { describe, expect, it } from 'vitest';
import type { Closeable } from './Closeable.js';
import { isCloseable } from './Closeable.js';
import { InProcessBus } from './InProcessBus.js';

describe('Closeable', () => {
  it('closes gracefully with await using, or on demand', async () => {
    let seen = 0;
    // #region closeable
    async function serve(): Promise<void> {
      await using bus = new InProcessBus(); // any Closeable
      bus.subscribe('jobs', () => seen++);
      await bus.publish('jobs', { id: 1 });
    } // close() runs here: intake stops, the message is delivered, then it resolves
    await serve();

    const other = new InProcessBus();
    await other.close({ signal: AbortSignal.timeout(5_000) }); // drain for up to 5 s, then destroy
    other.closed; // true
    // #endregion closeable
    expect(seen).toBe(1);
    expect(other.closed).toBe(true);
  });
});

describe('isCloseable', () => {
  it('recognises the Closeable shape', async () => {
    // #region isCloseable
    async function shutDown(parts: readonly unknown[]): Promise<void> {
      await Promise.all(parts.filter(isCloseable).map((part) => part.close()));
    }
    const bus = new InProcessBus();
    await shutDown([bus, { name: 'not closeable' }]); // bus.closed === true
    // #endregion isCloseable
    expect(bus.closed).toBe(true);
  });

  it('requires every member, with the right types', () => {
    const complete: Closeable = {
      closed: false,
      close: async () => {},
      destroy: async () => {},
      [Symbol.asyncDispose]: async () => {},
    };
    expect(isCloseable(complete)).toBe(true);
    expect(isCloseable(Object.assign(() => {}, complete))).toBe(true);
    for (const key of ['closed', 'close', 'destroy', Symbol.asyncDispose] as const) {
      const { [key]: _removed, ...rest } = complete;
      expect(isCloseable(rest)).toBe(false);
    }
    expect(isCloseable({ ...complete, closed: 'no' })).toBe(false);
    expect(isCloseable({ ...complete, close: 'no' })).toBe(false);
    for (const value of [null, undefined, 0, 'close', Symbol.asyncDispose])
      expect(isCloseable(value)).toBe(false);
  });
});
