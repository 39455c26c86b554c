import { afterEach, describe, expect, it, vi } from 'vitest';
import { expectInvalidOption } from '../../test/helpers/expectInvalidOption.js';
import {
  CapacityExceededError,
  ClosedError,
  InvalidOptionError,
  isLoadstoneError,
  TimeoutError,
} from '../core/errors/index.js';
import type { ConnectionPool } from './ConnectionPool.js';
import { ConnectionPoolManager } from './ConnectionPoolManager.js';
import type { ConnectionPoolOptions, CreatePolicy, PoolFactory } from './ConnectionPoolOptions.js';

type Conn = { id: number; ok: boolean; closed: boolean; query(sql: string): Promise<string> };

/** A factory of fake connections that records what it made and closed. */
function fakeFactory(overrides: Partial<PoolFactory<Conn>> = {}) {
  let next = 0;
  const made: Conn[] = [];
  const factory: PoolFactory<Conn> = {
    create: async () => {
      const conn: Conn = {
        id: next++,
        ok: true,
        closed: false,
        query: async (sql) => `${sql} on ${conn.id}`,
      };
      made.push(conn);
      return conn;
    },
    destroy: async (conn) => {
      conn.closed = true;
    },
    ...overrides,
  };
  return { factory, made };
}

/** Fake timers with a clock that follows them (Date is faked). */
const fakeClock = { now: () => Date.now() };

function setup(options: ConnectionPoolOptions = {}, overrides: Partial<PoolFactory<Conn>> = {}) {
  const manager = new ConnectionPoolManager();
  const { factory, made } = fakeFactory(overrides);
  const pool = manager.register('db', factory, { clock: fakeClock, ...options });
  return { manager, pool, made };
}

const settle = <T>(p: Promise<T>) =>
  p.then(
    (value) => ({ value }) as { value: T; error?: undefined },
    (error: unknown) => ({ error }) as { value?: undefined; error: unknown },
  );

/** Lets pending promise callbacks (create, validate, destroy) run. */
const flush = () => vi.advanceTimersByTimeAsync(0);

describe('ConnectionPoolManager', () => {
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  it('borrows through use() and reports stats', async () => {
    const { factory: pgFactory } = fakeFactory();
    const { factory: redisFactory } = fakeFactory();
    // #region connectionPoolManager
    const pools = new ConnectionPoolManager();
    pools.register('postgres', pgFactory, {
      min: 2, // kept open even when idle
      max: 20,
      acquireTimeoutMs: 5_000, // waiting longer rejects with TimeoutError
      idleTimeoutMs: 60_000,
      maxLifetimeMs: 30 * 60_000, // recycled after 30 min
      leakDetectionMs: 10_000, // 'lease:leaked' (with the acquirer's stack) past 10 s
      adaptive: { ceiling: 50 }, // max grows under sustained waiting, shrinks back after
    });
    pools.register('redis', redisFactory, { max: 10 });
    pools.on('pool:resized', ({ pool, fromMax, toMax, reason }) =>
      console.info(`${pool}: max ${fromMax} → ${toMax} (${reason})`),
    );

    // The preferred path: the connection is released however the callback ends.
    const rows = await pools.use('postgres', (conn: Conn) => conn.query('SELECT 1'));

    // At run time, e.g. when the database scales up:
    pools.resize('postgres', { max: 40 });
    const { borrowed, idle, max, acquireWait } = pools.stats('postgres');

    await pools.close(); // redis first, then postgres: reverse registration order
    // #endregion connectionPoolManager
    expect(rows).toBe('SELECT 1 on 0');
    expect({ borrowed, max }).toEqual({ borrowed: 0, max: 40 });
    expect(idle).toBeGreaterThanOrEqual(1);
    expect(acquireWait.count).toBe(1);
  });

  it('lends one pool directly', async () => {
    const { factory } = fakeFactory();
    const pools = new ConnectionPoolManager();
    // #region connectionPool
    const db: ConnectionPool<Conn> = pools.register('db', factory, { max: 4, acquireTimeoutMs: 2_000 });
    const conn = await db.acquire(); // the pool handle skips the lookup by name
    try {
      await conn.query('UPDATE …');
    } finally {
      db.release(conn);
    }
    // #endregion connectionPool
    expect(db.stats()).toMatchObject({ acquired: 1, borrowed: 0, idle: 1, size: 1 });
    await pools.close();
  });

  it('reuses the most recently released resource and creates only up to max', async () => {
    const { pool, made } = setup({ max: 2 });
    const a = await pool.acquire();
    const b = await pool.acquire();
    expect(made).toHaveLength(2);
    pool.release(a);
    pool.release(b);
    expect(await pool.acquire()).toBe(b);
    expect(await pool.acquire()).toBe(a);
    const waiting = pool.acquire();
    await Promise.resolve();
    expect(pool.stats()).toMatchObject({ borrowed: 2, waiting: 1, size: 2 });
    pool.release(b);
    expect(await waiting).toBe(b);
    expect(made).toHaveLength(2);
  });

  it('serves waiters in FIFO order', async () => {
    const { pool } = setup({ max: 1 });
    const conn = await pool.acquire();
    const order: number[] = [];
    const waits = [0, 1, 2].map((i) =>
      pool.acquire().then((c) => {
        order.push(i);
        pool.release(c);
      }),
    );
    pool.release(conn);
    await Promise.all(waits);
    expect(order).toEqual([0, 1, 2]);
  });

  it('rejects a waiter past acquireTimeoutMs with TimeoutError and reports degraded health', async () => {
    vi.useFakeTimers();
    const { manager, pool } = setup({ max: 1, acquireTimeoutMs: 1_000, degradedAfterTimeouts: 2 });
    const conn = await pool.acquire();
    const first = settle(pool.acquire());
    await vi.advanceTimersByTimeAsync(500);
    const second = settle(pool.acquire());
    await vi.advanceTimersByTimeAsync(500);
    const r1 = await first;
    expect(r1.error).toBeInstanceOf(TimeoutError);
    expect(isLoadstoneError(r1.error, 'ERR_LOADSTONE_TIMEOUT')).toBe(true);
    expect((r1.error as TimeoutError).message).toBe('acquire from pool "db" timed out after 1000 ms');
    expect(pool.stats().waiting).toBe(1);
    expect((await manager.check()).status).toBe('healthy');
    await vi.advanceTimersByTimeAsync(500);
    expect((await second).error).toBeInstanceOf(TimeoutError);
    expect(pool.stats()).toMatchObject({ timedOut: 2, waiting: 0 });
    const health = await manager.check();
    expect(health.status).toBe('degraded');
    expect(health.details).toEqual({ db: 'degraded' });
    // A waiter that is served clears it.
    const third = pool.acquire();
    pool.release(conn);
    pool.release(await third);
    expect((await manager.check()).status).toBe('healthy');
  });

  it('arms no timer per acquire: waiters on acquireTimeoutMs share one', async () => {
    vi.useFakeTimers();
    const { pool } = setup({ max: 2, acquireTimeoutMs: 1_000 });
    const baseline = vi.getTimerCount(); // the maintenance sweep
    const [a, b] = await Promise.all([pool.acquire(), pool.acquire()]);
    pool.release(a);
    // The two acquires above waited for create: the shared timer, armed then, lapses unused.
    await vi.advanceTimersByTimeAsync(1_000);
    expect(vi.getTimerCount()).toBe(baseline);
    for (let i = 0; i < 50; i++) pool.release(await pool.acquire());
    expect(vi.getTimerCount()).toBe(baseline);
    const again = await pool.acquire();
    const waiters = Array.from({ length: 20 }, () => settle(pool.acquire()));
    await flush();
    expect(vi.getTimerCount()).toBe(baseline + 1);
    await vi.advanceTimersByTimeAsync(1_000);
    for (const w of await Promise.all(waiters)) expect(w.error).toBeInstanceOf(TimeoutError);
    expect(vi.getTimerCount()).toBe(baseline);
    pool.release(again);
    pool.release(b);
  });

  it('takes a per-call timeoutMs', async () => {
    vi.useFakeTimers();
    const { pool } = setup({ max: 1, acquireTimeoutMs: 10_000 });
    await pool.acquire();
    const short = settle(pool.acquire({ timeoutMs: 100 }));
    const none = settle(pool.acquire({ timeoutMs: 0 }));
    await vi.advanceTimersByTimeAsync(100);
    expect(((await short).error as TimeoutError).timeoutMs).toBe(100);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(pool.stats()).toMatchObject({ waiting: 1, timedOut: 1 });
    await pool.destroy();
    expect((await none).error).toBeInstanceOf(ClosedError);
  });

  it('bounds waiters with maxWaiters', async () => {
    const { pool } = setup({ max: 1, maxWaiters: 1 });
    await pool.acquire();
    void pool.acquire().catch(() => {});
    const error = (await settle(pool.acquire())).error;
    expect(error).toBeInstanceOf(CapacityExceededError);
    expect((error as CapacityExceededError).limit).toBe(1);
    await pool.destroy();
  });

  it('removes an aborted acquire from the queue, so no resource goes to it', async () => {
    const { pool } = setup({ max: 1 });
    const conn = await pool.acquire();
    const controller = new AbortController();
    const abandoned = settle(pool.acquire({ signal: controller.signal }));
    const next = pool.acquire();
    const reason = new Error('gave up');
    controller.abort(reason);
    expect((await abandoned).error).toBe(reason);
    pool.release(conn);
    expect(await next).toBe(conn);
    expect(pool.stats()).toMatchObject({ borrowed: 1, aborted: 1, waiting: 0 });
    const pre = new AbortController();
    pre.abort(reason);
    expect((await settle(pool.acquire({ signal: pre.signal }))).error).toBe(reason);
  });

  it('refuses to release what it did not lend, or twice', async () => {
    const { pool, manager } = setup();
    const conn = await pool.acquire();
    pool.release(conn);
    expectInvalidOption(() => pool.release(conn), 'resource', 'a resource borrowed from pool "db"');
    expectInvalidOption(() => manager.release('db', { id: 9 }), 'resource', 'a resource borrowed');
    expectInvalidOption(() => manager.release('nope', conn), 'name', 'the name of a registered pool');
    expect((await settle(manager.acquire('nope'))).error).toBeInstanceOf(InvalidOptionError);
  });

  it('grows at run time and serves waiters at once', async () => {
    const { manager, pool } = setup({ max: 1 });
    const events: unknown[] = [];
    manager.on('pool:resized', (e) => events.push(e));
    await pool.acquire();
    const waiting = pool.acquire();
    manager.resize('db', { max: 3 });
    await waiting;
    expect(pool.stats()).toMatchObject({ max: 3, borrowed: 2 });
    expect(events).toEqual([{ pool: 'db', fromMax: 1, toMax: 3, min: 0, reason: 'manual' }]);
    manager.resize('db', { max: 3 });
    expect(events).toHaveLength(1);
  });

  it('shrinks at run time: surplus idle now, surplus borrowed on release', async () => {
    const { pool, made } = setup({ max: 4 });
    const conns = await Promise.all([pool.acquire(), pool.acquire(), pool.acquire(), pool.acquire()]);
    pool.release(conns[0] as Conn);
    pool.release(conns[1] as Conn);
    pool.resize({ max: 1 });
    await Promise.resolve();
    expect(pool.stats()).toMatchObject({ size: 2, idle: 0, borrowed: 2 });
    pool.release(conns[2] as Conn);
    expect(pool.stats()).toMatchObject({ size: 1, borrowed: 1 });
    pool.release(conns[3] as Conn);
    expect(pool.stats()).toMatchObject({ size: 1, idle: 1 });
    await pool.close();
    expect(made.every((c) => c.closed)).toBe(true);
  });

  it('validates resize bounds', () => {
    const { pool } = setup({ min: 1, max: 4 });
    expectInvalidOption(() => pool.resize({ max: 0 }), 'bounds.max', 'an integer >= 1');
    expectInvalidOption(() => pool.resize({ min: 5 }), 'bounds.min', 'an integer <= max (4)');
    expectInvalidOption(() => pool.resize({ max: 0.5 }), 'bounds.max', 'an integer');
    expectInvalidOption(() => pool.resize({ min: 3, max: 2 }), 'bounds.min', 'an integer <= max (2)');
    void pool.destroy();
  });

  it('grows max under sustained waiting and shrinks it back when load drops', async () => {
    vi.useFakeTimers();
    const { manager, pool } = setup({
      max: 2,
      adaptive: { ceiling: 6, step: 2, intervalMs: 100, growAfter: 1, shrinkAfter: 2 },
    });
    const events: string[] = [];
    manager.on('pool:resized', (e) => events.push(`${e.fromMax}->${e.toMax}:${e.reason}`));
    // A burst: 10 borrowers holding their connection until told to let go.
    const held: Conn[] = [];
    const borrowers = Array.from({ length: 10 }, () => pool.acquire().then((c) => held.push(c)));
    await vi.advanceTimersByTimeAsync(100);
    expect(pool.stats().max).toBe(4);
    await vi.advanceTimersByTimeAsync(100);
    expect(pool.stats()).toMatchObject({ max: 6, borrowed: 6, waiting: 4 });
    await vi.advanceTimersByTimeAsync(100);
    expect(pool.stats().max).toBe(6); // the ceiling
    // Drain the burst.
    while (held.length > 0 || pool.stats().waiting > 0) {
      const c = held.pop();
      if (c !== undefined) pool.release(c);
      await flush();
    }
    await Promise.all(borrowers);
    await vi.advanceTimersByTimeAsync(100); // the busy interval
    await vi.advanceTimersByTimeAsync(400); // four cold intervals: two shrinks
    expect(pool.stats()).toMatchObject({ max: 2, adaptiveResizes: 4 });
    expect(pool.stats().size).toBeLessThanOrEqual(2);
    expect(events).toEqual(['2->4:grow', '4->6:grow', '6->4:shrink', '4->2:shrink']);
  });

  it('validates on borrow and replaces a resource that fails', async () => {
    const validate = vi.fn(async (c: Conn) => c.ok);
    const { manager, pool, made } = setup({ max: 2 }, { validate });
    const destroyed: string[] = [];
    manager.on('resource:destroyed', (e) => destroyed.push(e.reason));
    const conn = await pool.acquire();
    expect(validate).not.toHaveBeenCalled(); // fresh resources are not validated
    pool.release(conn);
    conn.ok = false;
    const replacement = await pool.acquire();
    expect(replacement).not.toBe(conn);
    expect(made).toHaveLength(2);
    expect(conn.closed).toBe(true);
    expect(destroyed).toEqual(['invalid']);
    expect(pool.stats()).toMatchObject({ validationFailures: 1, size: 1, borrowed: 1 });
    pool.release(replacement);
    // A validate that throws counts as invalid too.
    validate.mockImplementationOnce(() => {
      throw new Error('socket gone');
    });
    const third = await pool.acquire();
    expect(third).not.toBe(replacement);
    expect(pool.stats().validationFailures).toBe(2);
  });

  it('validates idle resources on an interval', async () => {
    vi.useFakeTimers();
    const { pool } = setup(
      {
        min: 2,
        max: 2,
        idleValidationIntervalMs: 1_000,
        maintenanceIntervalMs: 500,
        validateOnBorrow: false,
      },
      { validate: async (c) => c.ok },
    );
    await flush();
    const [a, b] = await Promise.all([pool.acquire(), pool.acquire()]);
    pool.release(a);
    pool.release(b);
    a.ok = false;
    await vi.advanceTimersByTimeAsync(1_500);
    expect(a.closed).toBe(true);
    expect(pool.stats()).toMatchObject({ validationFailures: 1, size: 2, created: 3 });
    await pool.close();
  });

  it('evicts idle resources down to min, and resources past maxLifetimeMs', async () => {
    vi.useFakeTimers();
    const { pool } = setup({ min: 1, max: 3, idleTimeoutMs: 5_000, maintenanceIntervalMs: 1_000 });
    const conns = await Promise.all([pool.acquire(), pool.acquire(), pool.acquire()]);
    for (const c of conns) pool.release(c);
    await vi.advanceTimersByTimeAsync(4_000);
    expect(pool.stats().size).toBe(3); // never early
    await vi.advanceTimersByTimeAsync(3_000);
    expect(pool.stats()).toMatchObject({ size: 1, destroyed: 2 });
    await vi.advanceTimersByTimeAsync(30_000);
    expect(pool.stats().size).toBe(1); // min is kept

    const aged = setup({ max: 1, maxLifetimeMs: 10_000, idleTimeoutMs: 0 });
    const old = await aged.pool.acquire();
    aged.pool.release(old);
    await vi.advanceTimersByTimeAsync(11_000);
    expect(old.closed).toBe(true);
    const fresh = await aged.pool.acquire();
    expect(fresh).not.toBe(old);
    await vi.advanceTimersByTimeAsync(11_000);
    aged.pool.release(fresh); // too old by now: destroyed on release
    expect(fresh.closed).toBe(true);
    expect(aged.pool.stats().size).toBe(0);
  });

  it('reports a leaked lease once, with the stack of its acquirer', async () => {
    vi.useFakeTimers();
    const { manager, pool } = setup({ leakDetectionMs: 2_000, maintenanceIntervalMs: 500 });
    const leaks: { heldMs: number; stack: string }[] = [];
    manager.on('lease:leaked', (e) => leaks.push(e));
    async function forgetfulHandler() {
      await pool.acquire(); // never released
    }
    await forgetfulHandler();
    const returned = await pool.acquire();
    await vi.advanceTimersByTimeAsync(1_000);
    pool.release(returned);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(leaks).toHaveLength(1);
    expect(leaks[0]?.heldMs).toBeGreaterThanOrEqual(2_000);
    expect(leaks[0]?.stack).toContain('forgetfulHandler');
    expect(pool.stats()).toMatchObject({ leaks: 1 });
    expect(pool.stats().holdTime.count).toBe(1);
  });

  it('warns with LOADSTONE_WARN_POOL_LEAK when nobody listens for leaks', async () => {
    vi.useFakeTimers();
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const { pool } = setup({ leakDetectionMs: 1_000 });
    await pool.use(async () => {
      await vi.advanceTimersByTimeAsync(3_000);
    });
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0]?.[1]).toMatchObject({ code: 'LOADSTONE_WARN_POOL_LEAK' });
    expect(String(warn.mock.calls[0]?.[0])).toContain('borrowed for');
  });

  it('fails the oldest waiter with a create error instead of retrying in a loop', async () => {
    let fail = true;
    const create = vi.fn(async () => {
      if (fail) throw new Error('ECONNREFUSED');
      return { id: 1, ok: true, closed: false, query: async () => '' } as Conn;
    });
    const { manager, pool } = setup({ max: 1 }, { create });
    const failures: boolean[] = [];
    manager.on('create:failed', (e) => failures.push(e.rejectedWaiter));
    const first = settle(pool.acquire());
    const second = settle(pool.acquire());
    expect(((await first).error as Error).message).toBe('ECONNREFUSED');
    expect(((await second).error as Error).message).toBe('ECONNREFUSED');
    expect(create).toHaveBeenCalledTimes(2);
    expect(failures).toEqual([true, true]);
    fail = false;
    expect((await pool.acquire()).id).toBe(1);
    expect(pool.stats()).toMatchObject({ createFailures: 2, created: 1 });
  });

  it('runs create through a createPolicy', async () => {
    const seen: (AbortSignal | undefined)[] = [];
    const policy: CreatePolicy = {
      execute: (fn, signal) => {
        seen.push(signal);
        return Promise.resolve(fn(signal as AbortSignal));
      },
    };
    const { pool } = setup({ createPolicy: policy });
    await pool.acquire();
    expect(seen).toHaveLength(1);
    expect(seen[0]).toBeInstanceOf(AbortSignal);
  });

  it('makes min resources at registration', async () => {
    vi.useFakeTimers();
    const { pool, made } = setup({ min: 3, max: 5 });
    await flush();
    expect(made).toHaveLength(3);
    expect(pool.stats()).toMatchObject({ size: 3, idle: 3 });
  });

  it('destroys a discarded resource and replaces it for waiters', async () => {
    const { pool, manager } = setup({ max: 1 });
    const conn = await pool.acquire();
    const waiting = pool.acquire();
    manager.discard('db', conn);
    const next = await waiting;
    expect(next).not.toBe(conn);
    expect(conn.closed).toBe(true);
  });

  it('merges immediate acquires as zero waits in the percentiles', async () => {
    vi.useFakeTimers();
    const { pool } = setup({ max: 1 });
    for (let i = 0; i < 98; i++) pool.release(await pool.acquire());
    const conn = await pool.acquire();
    const waiting = pool.acquire();
    await vi.advanceTimersByTimeAsync(40);
    pool.release(conn);
    pool.release(await waiting);
    const wait = pool.stats().acquireWait;
    expect(wait.count).toBe(100);
    expect(wait.p50Ms).toBe(0);
    expect(wait.p99Ms).toBe(0);
    expect(wait.maxMs).toBeCloseTo(40, 0);
    expect(wait.p999Ms).toBeCloseTo(40, 0);
    expect(wait.meanMs).toBeCloseTo(0.4, 1);
  });

  it('closes pools in reverse registration order, draining borrowed resources first', async () => {
    const manager = new ConnectionPoolManager();
    const order: string[] = [];
    const make = (name: string) =>
      manager.register(name, {
        create: () => ({ name }),
        destroy: () => {
          order.push(name);
        },
      });
    const first = make('first');
    const second = make('second');
    second.resize({ max: 1 });
    const a = await first.acquire();
    const b = await second.acquire();
    const waiter = settle(second.acquire());
    let closed = false;
    const closing = manager.close().then(() => {
      closed = true;
    });
    expect(manager.closed).toBe(true);
    // The last registered pool stops intake at once; the others keep serving until their turn.
    expect((await waiter).error).toBeInstanceOf(ClosedError);
    expect((await settle(manager.acquire('second'))).error).toBeInstanceOf(ClosedError);
    expect(() => manager.register('third', { create: () => ({}) })).toThrow(ClosedError);
    first.release(a);
    expect(await first.acquire()).toBe(a);
    first.release(a);
    await Promise.resolve();
    expect(order).toEqual([]);
    second.release(b);
    await closing;
    expect(closed).toBe(true);
    expect(order).toEqual(['second', 'first']);
    expect((await manager.check()).status).toBe('critical');
    await manager.close(); // idempotent
  });

  it('destroys on an aborted close signal, rejecting with its reason', async () => {
    const { manager, pool } = setup();
    const conn = await pool.acquire();
    const controller = new AbortController();
    const closing = settle(manager.close({ signal: controller.signal }));
    const reason = new Error('shutdown deadline');
    controller.abort(reason);
    expect((await closing).error).toBe(reason);
    expect(pool.closed).toBe(true);
    pool.release(conn); // released after destroy: destroyed, no throw
    expect(conn.closed).toBe(true);
  });

  it('close gives up on a leaked connection after closeTimeoutMs: destroys, then resolves', async () => {
    vi.useFakeTimers();
    const manager = new ConnectionPoolManager({ closeTimeoutMs: 500 });
    const pool = manager.register('db', fakeFactory().factory, { max: 1, clock: fakeClock });
    await pool.acquire(); // never released
    const waiter = settle(pool.acquire());
    let closed = false;
    const closing = manager.close().then(() => {
      closed = true;
    });
    await vi.advanceTimersByTimeAsync(499);
    expect(closed).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await closing;
    expect(pool.closed).toBe(true);
    expect((await waiter).error).toMatchObject({ code: 'ERR_LOADSTONE_CLOSED' });
    expectInvalidOption(
      () => new ConnectionPoolManager({ closeTimeoutMs: 1.5 }),
      'options.closeTimeoutMs',
      'an integer',
    );
  });

  it('keeps working when a listener throws, and warns', async () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const { manager, pool } = setup();
    manager.on('resource:created', () => {
      throw new Error('listener bug');
    });
    const conn = await pool.acquire();
    pool.release(conn);
    expect(pool.stats()).toMatchObject({ created: 1, idle: 1 });
    expect(warn.mock.calls[0]?.[1]).toMatchObject({ code: 'LOADSTONE_WARN_POOL_LISTENER_THREW' });
  });

  it('destroy rejects waiters with ClosedError carrying the reason, and is a health check per pool', async () => {
    const { manager, pool } = setup({ max: 1 });
    expect(pool.name).toBe('pool:db');
    expect((await pool.check()).status).toBe('healthy');
    const conn = await pool.acquire();
    const waiter = settle(pool.acquire());
    const reason = new Error('SIGTERM');
    await manager.destroy(reason);
    const error = (await waiter).error as ClosedError;
    expect(error).toBeInstanceOf(ClosedError);
    expect(error.cause).toBe(reason);
    expect((await pool.check()).status).toBe('critical');
    expect((await settle(pool.acquire())).error).toBeInstanceOf(ClosedError);
    pool.release(conn);
    expect(conn.closed).toBe(true);
    await pool.close(); // after destroy: resolves
  });

  it('validates options', () => {
    const m = new ConnectionPoolManager();
    const f = { create: () => ({}) };
    const cases: [ConnectionPoolOptions, string, string][] = [
      [{ max: 0 }, 'options.max', 'an integer >= 1'],
      [{ max: 2, min: 3 }, 'options.min', 'an integer from 0 to 2'],
      [{ acquireTimeoutMs: -1 }, 'options.acquireTimeoutMs', 'a finite number >= 0'],
      [{ createTimeoutMs: -1 }, 'options.createTimeoutMs', 'a finite number >= 0'],
      [{ createTimeoutMs: Number.POSITIVE_INFINITY }, 'options.createTimeoutMs', 'a finite number'],
      [{ createTimeoutMs: 2 ** 31 }, 'options.createTimeoutMs', 'a finite number >= 0 and <= 2147483647'],
      [{ createTimeoutMs: '30s' as never }, 'options.createTimeoutMs', 'a finite number'],
      [
        { createTimeoutMillis: 5_000 } as never,
        'options.createTimeoutMillis',
        'absent: use `options.createTimeoutMs`',
      ],
      [{ maxWaiters: 1.5 }, 'options.maxWaiters', 'an integer >= 0'],
      [{ idleTimeoutMs: Number.NaN }, 'options.idleTimeoutMs', 'a finite number'],
      [{ maintenanceIntervalMs: 0 }, 'options.maintenanceIntervalMs', 'a finite number >= 1'],
      [{ validateOnBorrow: 'yes' as never }, 'options.validateOnBorrow', 'a boolean'],
      [
        { acquireTimeoutMillis: 5 } as never,
        'options.acquireTimeoutMillis',
        'absent: use `options.acquireTimeoutMs`',
      ],
      [{ nope: 1 } as never, 'options.nope', 'absent'],
      [{ adaptive: {} as never }, 'options.adaptive.ceiling', 'an integer >= 10'],
      [{ max: 5, adaptive: { ceiling: 4 } }, 'options.adaptive.ceiling', 'an integer >= 5'],
      [
        { adaptive: { ceiling: 20, lowWatermark: 0.95 } },
        'options.adaptive.lowWatermark',
        'a finite number >= 0 and <',
      ],
      [{ adaptive: { ceiling: 20, step: 0 } }, 'options.adaptive.step', 'an integer >= 1'],
      [{ createPolicy: {} as never }, 'options.createPolicy', 'an object with an execute'],
      [{ clock: {} as never }, 'options.clock', 'a Clock'],
    ];
    for (const [options, path, prefix] of cases) {
      expectInvalidOption(() => m.register('x', f, options), path, prefix);
    }
    expectInvalidOption(() => m.register('x', {} as never), 'factory.create', 'a function');
    expectInvalidOption(() => m.register('', f), 'name', 'a non-empty string');
    m.register('x', f);
    expectInvalidOption(() => m.register('x', f), 'name', 'a name not already registered');
    expectInvalidOption(() => new ConnectionPoolManager({ bogus: 1 } as never), 'options.bogus', 'absent');
    void m.destroy();
  });

  it('rejects bad acquire options without throwing', async () => {
    const { pool } = setup();
    expect((await settle(pool.acquire({ timeoutMs: -5 }))).error).toBeInstanceOf(InvalidOptionError);
    expect((await settle(pool.acquire({ signal: {} as never }))).error).toBeInstanceOf(InvalidOptionError);
    expect((await settle(pool.use(1 as never))).error).toBeInstanceOf(InvalidOptionError);
  });

  it('serves per-call options from the idle stack at once, still validating them', async () => {
    const { pool } = setup();
    pool.release(await pool.acquire());
    const controller = new AbortController();
    const id = await pool.use((c) => c.id, { signal: controller.signal, timeoutMs: 50 });
    controller.abort();
    expect(id).toBe(0);
    expect(pool.stats()).toMatchObject({ acquired: 2, aborted: 0, idle: 1 });
    expect((await settle(pool.acquire({ timeoutMs: Number.NaN }))).error).toBeInstanceOf(InvalidOptionError);
    expect((await settle(pool.acquire({ signal: controller.signal }))).error).toBeInstanceOf(Error);
    expect(pool.stats()).toMatchObject({ idle: 1, borrowed: 0 });
  });

  it('is a MetricsSource whose snapshot survives JSON', async () => {
    const { manager } = setup();
    await manager.use('db', (c: Conn) => c.id);
    const snap = manager.stats();
    expect(JSON.parse(JSON.stringify(snap))).toEqual(snap);
    expect(snap.pools.db?.acquired).toBe(1);
    expect(manager.names).toEqual(['db']);
  });
});
