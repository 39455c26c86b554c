import { describe, expect, it } from 'vitest';
import { expectInvalidOption } from '../../../test/helpers/expectInvalidOption.js';
import { RateLimiter } from '../../resilience/index.js';
import { ClusterRateLimitStore } from './ClusterRateLimitStore.js';
import { ClusterStateHost } from './ClusterStateHost.js';

// Worker-side behaviour (IPC batching, timeouts, a worker's exit) is tested with real processes in
// test/integration/cluster-state.test.ts; here the store runs in the primary, on the host directly.
describe('ClusterRateLimitStore in the primary', () => {
  it('example: one limit for every process of the machine', async () => {
    const supervisor = { clusterState: new ClusterStateHost() };
    // #region clusterLimiter
    // In each worker (the primary decides; 100 a minute for the whole machine, not per worker):
    //   const limiter = new RateLimiter({ limit: 100, periodMs: 60_000, store: new ClusterRateLimitStore() });
    // In the primary, the store needs the supervisor's host:
    const limiter = new RateLimiter({
      limit: 100,
      periodMs: 60_000,
      store: new ClusterRateLimitStore({ host: supervisor.clusterState }),
    });
    const result = await limiter.limit('client-42');
    // #endregion clusterLimiter
    expect(result).toMatchObject({ allowed: true, remaining: 99, limit: 100, degraded: false });
  });

  it('decides synchronously in the primary, on the host’s shared keys', () => {
    const host = new ClusterStateHost();
    const [a, b] = [new ClusterRateLimitStore({ host }), new ClusterRateLimitStore({ host })];
    const rule = Object.freeze({
      algorithm: 'sliding-window',
      keyPrefix: 'x:',
      limit: 2,
      periodMs: 60_000,
    } as const);
    expect(a.consume('k', rule, 1, 0)).toMatchObject({ allowed: true, remaining: 1 });
    expect(b.consume('k', rule, 1, 0)).toMatchObject({ allowed: true, remaining: 0 });
    expect(a.consume('k', rule, 1, 0)).toMatchObject({ allowed: false, remaining: 0 });
    expect(a.consume('k', rule, 3, 0)).toMatchObject({
      allowed: false,
      retryAfterMs: Number.POSITIVE_INFINITY,
    });
    expect(host.stats().rateLimitKeys).toBe(1);
  });

  it('lets the limiter degrade by its policy when the host refuses a key', async () => {
    const host = new ClusterStateHost();
    const errors: unknown[] = [];
    const limiter = new RateLimiter({
      limit: 1,
      periodMs: 1000,
      onStoreError: 'fail-closed',
      onDegraded: (error) => errors.push(error),
      store: new ClusterRateLimitStore({ host }),
    });
    const result = await limiter.limit('k'.repeat(5_000));
    expect(result).toMatchObject({ allowed: false, degraded: true });
    expect(errors).toEqual([expect.objectContaining({ code: 'ERR_LOADSTONE_INVALID_OPTION' })]);
  });

  it.each([
    ['no host in the primary', undefined, 'options.host', 'a ClusterStateHost'],
    ['a host that is not a ClusterStateHost', { host: {} }, 'options.host', 'a ClusterStateHost'],
    ['an unknown option', { host: new ClusterStateHost(), hots: 1 }, 'options.hots', 'absent'],
    ['options that are not an object', 'host', 'options', 'an object'],
  ])('refuses %s with a coded error', (_name, options, option, expected) => {
    expectInvalidOption(() => new ClusterRateLimitStore(options as never), option, expected);
  });

  it('declares a rule once, however many decisions name it', () => {
    const host = new ClusterStateHost();
    const store = new ClusterRateLimitStore({ host });
    const rule = Object.freeze({
      algorithm: 'sliding-window',
      keyPrefix: 'y:',
      limit: 5_000,
      periodMs: 1,
    } as const);
    // More decisions than the primary keeps rules for one process: each must not be a new rule.
    for (let i = 0; i < 1_100; i++)
      expect(store.consume(`k${i}`, rule, 1, 0)).toMatchObject({ allowed: true });
    expect(host.stats().calls).toBe(1_101);
  });

  it('decodes a finite wait and an allowed call’s zero wait as they are', () => {
    const host = new ClusterStateHost();
    const store = new ClusterRateLimitStore({ host });
    const rule = Object.freeze({
      algorithm: 'gcra',
      keyPrefix: 'z:',
      emissionIntervalMs: 60_000,
      burst: 1,
      toleranceMs: 60_000,
      epsilonMs: 1e-4,
    } as const);
    expect(store.consume('k', rule, 1, 0)).toMatchObject({ allowed: true, retryAfterMs: 0 });
    const denied = store.consume('k', rule, 1, 0) as { allowed: boolean; retryAfterMs: number };
    expect(denied.allowed).toBe(false);
    expect(denied.retryAfterMs).toBeGreaterThan(59_000);
    expect(denied.retryAfterMs).toBeLessThanOrEqual(60_000);
  });

  it('names itself in its option errors', () => {
    expect(() => new ClusterRateLimitStore({ host: new ClusterStateHost(), hots: 1 } as never)).toThrow(
      'not an option of ClusterRateLimitStore',
    );
    expect(() => new ClusterRateLimitStore()).toThrow('a ClusterRateLimitStore in the cluster primary');
  });
});
