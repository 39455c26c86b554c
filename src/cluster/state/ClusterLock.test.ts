import { describe, expect, it } from 'vitest';
import { expectInvalidOption } from '../../../test/helpers/expectInvalidOption.js';
import { MemoryTier, TieredCache } from '../../cache/index.js';
import { ClusterLock } from './ClusterLock.js';
import { ClusterStateHost } from './ClusterStateHost.js';

// Worker-side behaviour (IPC, a holder's exit) is tested with real processes in
// test/integration/cluster-state.test.ts; here the lock runs in the primary, on the host directly.
describe('ClusterLock in the primary', () => {
  it('example: a loader that runs once per machine', async () => {
    const supervisor = { clusterState: new ClusterStateHost() };
    // #region clusterLock
    // In each worker: new TieredCache({ tiers: [new MemoryTier({ maxEntries: 10_000 })], lock: new ClusterLock() }).
    // In the primary, the lock needs the supervisor's host:
    const cache = new TieredCache({
      tiers: [new MemoryTier({ maxEntries: 10_000 })],
      lock: new ClusterLock({ host: supervisor.clusterState }),
    });
    const user = await cache.getOrSet('user:1', async () => ({ name: 'Ada' }), { ttlMs: 60_000 });
    // #endregion clusterLock
    expect(user).toEqual({ name: 'Ada' });
    await cache.close();
  });

  it('gives a key to one holder until its token releases it', async () => {
    const host = new ClusterStateHost();
    const [a, b] = [new ClusterLock({ host }), new ClusterLock({ host })];
    const token = await a.acquire('k', 10_000);
    expect(token).toEqual(expect.any(String));
    expect(await b.acquire('k', 10_000)).toBeUndefined();
    await b.release('k', 'not-the-token');
    expect(await b.acquire('k', 10_000)).toBeUndefined();
    await a.release('k', token as string);
    expect(await b.acquire('k', 10_000)).toEqual(expect.any(String));
  });

  it('rejects a bad ttl with the host’s coded error', async () => {
    const lock = new ClusterLock({ host: new ClusterStateHost() });
    await expect(lock.acquire('k', -1)).rejects.toMatchObject({ code: 'ERR_LOADSTONE_INVALID_OPTION' });
  });

  it.each([
    ['no host in the primary', undefined, 'options.host', 'a ClusterStateHost'],
    ['an unknown option', { host: new ClusterStateHost(), ttl: 1 }, 'options.ttl', 'absent'],
    ['options that are not an object', 'host', 'options', 'an object'],
  ])('refuses %s with a coded error', (_name, options, option, expected) => {
    expectInvalidOption(() => new ClusterLock(options as never), option, expected);
  });

  it('names itself in its option errors', () => {
    expect(() => new ClusterLock({ host: new ClusterStateHost(), ttl: 1 } as never)).toThrow(
      'not an option of ClusterLock',
    );
    expect(() => new ClusterLock()).toThrow('a ClusterLock in the cluster primary');
  });
});
