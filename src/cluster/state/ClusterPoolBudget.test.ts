import { describe, expect, it } from 'vitest';
import { expectInvalidOption } from '../../../test/helpers/expectInvalidOption.js';
import { ConnectionPoolManager } from '../../pool/index.js';
import { type BudgetedFactory, ClusterPoolBudget } from './ClusterPoolBudget.js';
import { ClusterStateHost } from './ClusterStateHost.js';

type Conn = { readonly id: number };

/** A factory that counts what is open, and the most ever open at once. */
function connections() {
  let next = 0;
  const state = { open: 0, peak: 0 };
  return {
    state,
    factory: {
      create: (): Conn => {
        state.open++;
        state.peak = Math.max(state.peak, state.open);
        return { id: next++ };
      },
      destroy: (): void => {
        state.open--;
      },
    },
  };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

// Across real worker processes (a worker killed holding permits): test/integration/cluster-state.test.ts.
describe('ClusterPoolBudget in the primary', () => {
  it('example: one max for the pools of one name in every worker', async () => {
    const supervisor = { clusterState: new ClusterStateHost() };
    const pgFactory = connections().factory;
    // #region budget
    // In each worker: new ClusterPoolBudget({ name: 'postgres', max: 10 }); in the primary, add the host.
    const budget = new ClusterPoolBudget({ name: 'postgres', max: 10, host: supervisor.clusterState });
    const pools = new ConnectionPoolManager();
    // Each worker's pool may hold 10, but all the workers' pools together hold at most 10.
    const pool = pools.register('postgres', budget.wrap(pgFactory), { max: 10 });
    // #endregion budget
    await pool.use(async () => {});
    expect(supervisor.clusterState.stats().permits).toBe(1);
    await pools.close();
    expect(supervisor.clusterState.stats().permits).toBe(0);
  });

  it('keeps the pools of one name within one max, and hands a freed permit to a waiting pool', async () => {
    const host = new ClusterStateHost();
    const { state, factory } = connections();
    const pools = new ConnectionPoolManager();
    const wrap = () => new ClusterPoolBudget({ name: 'db', max: 3, host }).wrap(factory);
    const a = pools.register('a', wrap(), { max: 5 });
    const b = pools.register('b', wrap(), { max: 5 });
    const held = await Promise.all([a.acquire(), a.acquire(), b.acquire()]);
    expect(state.open).toBe(3);
    const waiting = b.acquire();
    await tick();
    expect(state.open).toBe(3);
    expect(host.stats().permits).toBe(3);
    // Closing one of a's resources gives its permit to b's waiting create.
    a.discard(held[0] as Conn);
    const got = await waiting;
    expect(got).toEqual({ id: expect.any(Number) });
    expect(state.peak).toBe(3);
    expect(host.stats().permits).toBe(3);
    a.release(held[1] as Conn);
    b.release(held[2] as Conn);
    b.release(got);
    await pools.close();
    expect(state.open).toBe(0);
    expect(host.stats().permits).toBe(0);
  });

  it('gives the permit back when create fails', async () => {
    const host = new ClusterStateHost();
    const budget = new ClusterPoolBudget({ name: 'db', max: 1, host });
    const pools = new ConnectionPoolManager();
    let fail = true;
    const pool = pools.register(
      'db',
      budget.wrap({
        create: () => {
          if (fail) throw new Error('connection refused');
          return { id: 1 };
        },
      }),
      { max: 1 },
    );
    await expect(pool.acquire()).rejects.toThrow('connection refused');
    expect(host.stats().permits).toBe(0);
    fail = false;
    await expect(pool.use(async (c) => c)).resolves.toEqual({ id: 1 });
    await pools.destroy();
  });

  it('ends a wait when the create times out, with no permit left behind', async () => {
    const host = new ClusterStateHost();
    const { factory } = connections();
    const pools = new ConnectionPoolManager();
    const hog = pools.register('hog', new ClusterPoolBudget({ name: 'db', max: 1, host }).wrap(factory), {
      max: 1,
    });
    const starved = pools.register(
      'starved',
      new ClusterPoolBudget({ name: 'db', max: 1, host }).wrap(factory),
      {
        max: 1,
        createTimeoutMs: 20,
      },
    );
    const held = await hog.acquire();
    await expect(starved.acquire()).rejects.toMatchObject({ code: 'ERR_LOADSTONE_TIMEOUT' });
    hog.release(held);
    await hog.destroy();
    // The timed-out wait took nothing: the only permit is free again for the starved pool.
    expect(host.stats().permits).toBe(0);
    await expect(starved.use(async (c) => c)).resolves.toEqual({ id: expect.any(Number) });
    expect(host.stats().permits).toBe(1);
    await pools.destroy();
  });

  it('refuses a different max for the same name', async () => {
    const host = new ClusterStateHost();
    const pools = new ConnectionPoolManager();
    const { factory } = connections();
    await pools
      .register('a', new ClusterPoolBudget({ name: 'db', max: 2, host }).wrap(factory))
      .use(async () => {});
    const other = pools.register('b', new ClusterPoolBudget({ name: 'db', max: 3, host }).wrap(factory));
    await expect(other.acquire()).rejects.toMatchObject({ code: 'ERR_LOADSTONE_INVALID_OPTION' });
    await pools.destroy();
  });

  describe('a create’s signal', () => {
    const setup = () => {
      const host = new ClusterStateHost();
      const budget = new ClusterPoolBudget({ name: 'db', max: 1, host });
      let created = 0;
      const factory = budget.wrap<Conn, BudgetedFactory<Conn>>({ create: () => ({ id: created++ }) });
      return { host, factory, created: () => created };
    };

    it('already aborted: rejects with its reason, takes no permit and opens nothing', async () => {
      const { host, factory, created } = setup();
      const reason = new Error('gone');
      await expect(factory.create(AbortSignal.abort(reason))).rejects.toBe(reason);
      await expect(factory.create(AbortSignal.abort('no reason'))).rejects.toMatchObject({
        code: 'ERR_LOADSTONE_ABORTED',
        message: expect.stringContaining('a permit of pool budget "db"'),
      });
      await tick();
      expect(host.stats()).toMatchObject({ permits: 0, permitWaiters: 0, calls: 0 });
      expect(created()).toBe(0);
    });

    it('aborted while waiting: cancels the wait, so the next free permit is not lost', async () => {
      const { host, factory, created } = setup();
      const first = await factory.create(new AbortController().signal);
      const controller = new AbortController();
      const waiting = factory.create(controller.signal);
      await tick();
      expect(host.stats().permitWaiters).toBe(1);
      controller.abort(new Error('timed out'));
      await expect(waiting).rejects.toThrow('timed out');
      expect(host.stats()).toMatchObject({ permits: 1, permitWaiters: 0 });
      await factory.destroy?.(first);
      await tick();
      expect(host.stats().permits).toBe(0);
      expect(created()).toBe(1);
    });

    it('aborted while waiting with a reason that is no error: rejects with ERR_LOADSTONE_ABORTED', async () => {
      const { factory } = setup();
      await factory.create(new AbortController().signal);
      const controller = new AbortController();
      const waiting = factory.create(controller.signal);
      await tick();
      controller.abort('shutting down');
      await expect(waiting).rejects.toMatchObject({
        code: 'ERR_LOADSTONE_ABORTED',
        message: expect.stringContaining('a permit of pool budget "db"'),
      });
    });

    it('aborted after the create got its permit: keeps the permit', async () => {
      const { host, factory } = setup();
      const controller = new AbortController();
      await factory.create(controller.signal);
      controller.abort();
      await tick();
      expect(host.stats()).toMatchObject({ permits: 1, calls: 1 });
    });

    it('a wait the primary ends (its process gone): rejects with no permit taken', async () => {
      const { host, factory, created } = setup();
      await factory.create(new AbortController().signal);
      const waiting = factory.create(new AbortController().signal);
      await tick();
      host.workerExited(process.pid);
      await expect(waiting).rejects.toMatchObject({
        code: 'ERR_LOADSTONE_ABORTED',
        message: expect.stringContaining('a permit of pool budget "db"'),
      });
      expect(host.stats()).toMatchObject({ permits: 0, permitWaiters: 0 });
      expect(created()).toBe(1);
    });
  });

  it('keeps the name and max it was given, and accepts a name of 256 characters', () => {
    const budget = new ClusterPoolBudget({ name: 'x'.repeat(256), max: 7, host: new ClusterStateHost() });
    expect(budget.name).toBe('x'.repeat(256));
    expect(budget.max).toBe(7);
  });

  it('names itself in the error for an unknown option', () => {
    expect(() => new ClusterPoolBudget({ name: 'db', max: 1, min: 1 } as never)).toThrow(
      'not an option of ClusterPoolBudget',
    );
    expect(() => new ClusterPoolBudget({ name: 'db', max: 1 })).toThrow('a ClusterPoolBudget in the cluster');
  });

  it.each([
    ['no name', { max: 1, host: new ClusterStateHost() }, 'options.name', 'a non-empty string'],
    [
      'an overlong name',
      { name: 'x'.repeat(257), max: 1, host: new ClusterStateHost() },
      'options.name',
      'a string',
    ],
    ['a max of 0', { name: 'db', max: 0, host: new ClusterStateHost() }, 'options.max', 'an integer'],
    ['a fractional max', { name: 'db', max: 1.5, host: new ClusterStateHost() }, 'options.max', 'an integer'],
    [
      'an unknown option',
      { name: 'db', max: 1, host: new ClusterStateHost(), min: 1 },
      'options.min',
      'absent',
    ],
    ['no host in the primary', { name: 'db', max: 1 }, 'options.host', 'a ClusterStateHost'],
    ['options that are not an object', 'db', 'options', 'an object'],
  ])('refuses %s with a coded error', (_name, options, option, expected) => {
    expectInvalidOption(() => new ClusterPoolBudget(options as never), option, expected);
  });
});
