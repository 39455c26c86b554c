// `createTimeoutMs` (issue #21, finding 6): a create that never settles must not hold its place
// under `max` for ever. Fake timers, with a clock that follows them.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isLoadstoneError, TimeoutError } from '../core/errors/index.js';
import { ConnectionPoolManager } from './ConnectionPoolManager.js';
import type { ConnectionPoolOptions, PoolFactory } from './ConnectionPoolOptions.js';

type Conn = { id: number; closed: boolean };

const fakeClock = { now: () => Date.now() };

/**
 * A pool named `db` whose creates are `plan`ned one by one (`undefined`: a working connection
 * made at once), with what its factory made, closed and was signalled, and its events.
 */
function setup(options: ConnectionPoolOptions, plan: ((signal: AbortSignal) => Promise<Conn>)[]) {
  let calls = 0;
  const made: Conn[] = [];
  const signals: AbortSignal[] = [];
  const fresh = (id: number): Conn => {
    const conn = { id, closed: false };
    made.push(conn);
    return conn;
  };
  const factory: PoolFactory<Conn> = {
    create: async (signal) => {
      const call = calls++;
      signals.push(signal);
      const planned = plan[call];
      return planned === undefined ? fresh(call) : planned(signal);
    },
    destroy: async (conn) => {
      conn.closed = true;
    },
  };
  const manager = new ConnectionPoolManager();
  const pool = manager.register('db', factory, { clock: fakeClock, ...options });
  const destroyed: string[] = [];
  const failures: { error: unknown; rejectedWaiter: boolean }[] = [];
  manager.on('resource:destroyed', (e) => destroyed.push(e.reason));
  manager.on('create:failed', (e) => failures.push(e));
  return { manager, pool, made, signals, destroyed, failures };
}

/** A create that never settles: the connect to a black-holed host. */
const hang = (): Promise<Conn> => new Promise<Conn>(() => {});

const settle = <T>(p: Promise<T>) =>
  p.then(
    (value) => ({ value }) as { value: T; error?: undefined },
    (error: unknown) => ({ error }) as { value?: undefined; error: unknown },
  );

/** Lets pending promise callbacks (create, destroy) run. */
const flush = () => vi.advanceTimersByTimeAsync(0);

describe('ResourceCreator (createTimeoutMs)', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('frees the place of a create that never settles, so four later acquires are served by a new create', async () => {
    vi.useFakeTimers();
    const { manager, pool, signals, failures } = setup(
      { max: 2, createTimeoutMs: 50, acquireTimeoutMs: 1_000 },
      [hang],
    );
    // The first create hangs; the second makes a connection, which the oldest acquire gets and keeps.
    const held = pool.acquire();
    const starved = settle(pool.acquire());
    const kept = await held;
    // Four more, each using a connection briefly. Before the fix no create could start for
    // them (one place held, one hung) and all four timed out after acquireTimeoutMs.
    const later = Array.from({ length: 4 }, () => settle(pool.use((conn) => conn.id)));
    await vi.advanceTimersByTimeAsync(1_000);

    // The four are served, by a connection made after the hung create gave up its place.
    const served = await Promise.all(later);
    expect(served.map((r) => r.error)).toEqual([undefined, undefined, undefined, undefined]);
    expect(new Set(served.map((r) => r.value))).toEqual(new Set([2]));
    // The hung create counts as failed: like any failed create, it rejects the oldest waiter.
    const error = (await starved).error;
    expect(error).toBeInstanceOf(TimeoutError);
    expect(isLoadstoneError(error, 'ERR_LOADSTONE_TIMEOUT')).toBe(true);
    expect((error as TimeoutError).message).toBe('create in pool "db" timed out after 50 ms');
    expect(failures).toEqual([{ pool: 'db', error, rejectedWaiter: true }]);
    // It was told to stop dialling.
    expect(signals[0]?.aborted).toBe(true);
    expect(signals[0]?.reason).toBe(error);
    expect(pool.stats()).toMatchObject({ creating: 0, createFailures: 1, created: 2, timedOut: 0 });
    pool.release(kept);
    await manager.close();
  });

  it('destroys a resource its create resolves with after the timeout, and never lends it', async () => {
    vi.useFakeTimers();
    let resolveLate: (conn: Conn) => void = () => {};
    const late: Conn = { id: -1, closed: false };
    const { manager, pool, destroyed } = setup({ max: 1, createTimeoutMs: 50, acquireTimeoutMs: 1_000 }, [
      () =>
        new Promise<Conn>((resolve) => {
          resolveLate = resolve;
        }),
    ]);
    const first = settle(pool.acquire());
    await vi.advanceTimersByTimeAsync(1_000);
    expect((await first).error).toMatchObject({ message: 'create in pool "db" timed out after 50 ms' });
    // The place is free again: a new connection fills it, and the next acquire has to wait.
    const conn = await pool.acquire();
    const waiting = pool.acquire();
    await flush();
    expect(pool.stats()).toMatchObject({ size: 1, waiting: 1, creating: 0 });

    resolveLate(late);
    await flush();
    expect(late.closed).toBe(true);
    expect(destroyed).toEqual(['late']);
    // Not handed to the waiter, not in the pool: the waiter gets the released connection.
    expect(pool.stats()).toMatchObject({ size: 1, waiting: 1, created: 2, destroyed: 1, createFailures: 1 });
    pool.release(conn);
    expect(await waiting).toBe(conn);
    pool.release(conn);
    await manager.close();
  });

  it('aborts a timed-out create and ignores its later rejection', async () => {
    vi.useFakeTimers();
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      // A create that honours its signal: it rejects with the reason once aborted.
      const { manager, pool, failures, destroyed } = setup(
        { max: 1, createTimeoutMs: 20, acquireTimeoutMs: 1_000 },
        [
          (signal) =>
            new Promise<Conn>((_, reject) => {
              signal.addEventListener('abort', () => reject(signal.reason), { once: true });
            }),
        ],
      );
      const first = settle(pool.acquire());
      await vi.advanceTimersByTimeAsync(1_000);
      expect((await first).error).toMatchObject({ message: 'create in pool "db" timed out after 20 ms' });
      expect(failures).toHaveLength(1); // the rejection after the deadline is not a second failure
      expect((await pool.acquire()).id).toBe(1);
      await vi.advanceTimersByTimeAsync(100);
      expect(destroyed).toEqual([]);
      expect(pool.stats()).toMatchObject({ createFailures: 1, created: 1, size: 1 });
      await manager.destroy();
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    expect(unhandled).toEqual([]);
  });

  it('leaves the signal of a create that failed in time alone, and a pool destroyed later does not abort it', async () => {
    vi.useFakeTimers();
    const refused = new Error('ECONNREFUSED');
    const { manager, pool, signals, failures } = setup(
      { max: 1, createTimeoutMs: 50, acquireTimeoutMs: 1_000 },
      [() => Promise.reject(refused)],
    );
    const first = settle(pool.acquire());
    await flush();
    expect((await first).error).toBe(refused);
    expect(failures).toEqual([{ pool: 'db', error: refused, rejectedWaiter: true }]);
    await vi.advanceTimersByTimeAsync(1_000); // past the deadline: nothing more happens to it
    expect(signals[0]?.aborted).toBe(false);
    await manager.destroy();
    expect(signals[0]?.aborted).toBe(false);
    expect(failures).toHaveLength(1);
  });

  it('leaves a create without limit with createTimeoutMs 0', async () => {
    vi.useFakeTimers();
    const { manager, pool, signals } = setup({ max: 1, createTimeoutMs: 0 }, [hang]);
    const waiting = settle(pool.acquire());
    await vi.advanceTimersByTimeAsync(10 * 60_000);
    expect(pool.stats()).toMatchObject({ creating: 1, waiting: 1, createFailures: 0 });
    // Still aborted when the pool is destroyed.
    await manager.destroy();
    expect(signals[0]?.aborted).toBe(true);
    expect((await waiting).error).toMatchObject({ code: 'ERR_LOADSTONE_CLOSED' });
  });

  it('aborts the creates in flight when the pool is destroyed, before their timeout', async () => {
    vi.useFakeTimers();
    const { manager, pool, signals } = setup({ max: 2, createTimeoutMs: 1_000 }, [hang, hang]);
    const waits = [settle(pool.acquire()), settle(pool.acquire())];
    await flush();
    expect(signals).toHaveLength(2);
    const reason = new Error('SIGTERM');
    await manager.destroy(reason);
    for (const signal of signals) {
      expect(signal.aborted).toBe(true);
      expect(signal.reason).toMatchObject({ code: 'ERR_LOADSTONE_CLOSED', cause: reason });
    }
    for (const w of await Promise.all(waits)) expect(w.error).toMatchObject({ code: 'ERR_LOADSTONE_CLOSED' });
  });
  it('counts a validate that never answers as failed after createTimeoutMs: the resource is destroyed and the borrower served', async () => {
    vi.useFakeTimers();
    let validations = 0;
    const manager = new ConnectionPoolManager();
    let made = 0;
    const pool = manager.register(
      'db',
      {
        create: async () => ({ id: made++, closed: false }),
        destroy: async (conn: Conn) => {
          conn.closed = true;
        },
        // The first ping goes to a server that hangs; later ones answer.
        validate: () => (validations++ === 0 ? new Promise<boolean>(() => {}) : true),
      },
      { clock: fakeClock, max: 1, createTimeoutMs: 50, validateOnBorrow: true, acquireTimeoutMs: 1_000 },
    );
    const destroyed: string[] = [];
    manager.on('resource:destroyed', (e) => destroyed.push(e.reason));
    const first = await pool.acquire();
    pool.release(first);
    const second = settle(pool.acquire()); // validates `first`, which hangs
    await vi.advanceTimersByTimeAsync(200);
    const got = await second;
    expect(got.error).toBeUndefined();
    expect(got.value?.id).toBe(1);
    expect(first.closed).toBe(true);
    expect(destroyed).toEqual(['invalid']);
    expect(pool.stats()).toMatchObject({ validationFailures: 1 });
    pool.release(got.value as Conn);
    await manager.close();
  });
});
