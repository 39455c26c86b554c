import { afterEach, describe, expect, it, vi } from 'vitest';
import { MAX_TIMER_MS } from '../../core/internal/validate.js';
import { LOCK_ACQUIRE, LOCK_RELEASE, LockService, MAX_LOCK_KEY_LENGTH, MAX_LOCKS } from './LockService.js';

// The primary-side table behind ClusterLock, called directly (owners are pids).
describe('LockService', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  const acquire = (s: LockService, owner: number, key: string, ttlMs: unknown = 60_000) =>
    s.call(owner, LOCK_ACQUIRE, [key, ttlMs]);
  const release = (s: LockService, owner: number, key: string, token: unknown) =>
    s.call(owner, LOCK_RELEASE, [key, token]);

  it('does not let an exited owner take back a lock it released and another then took', () => {
    const s = new LockService();
    const token = acquire(s, 1, 'k');
    expect(release(s, 1, 'k', token)).toBeNull();
    expect(s.size).toBe(0);
    expect(acquire(s, 2, 'k')).toEqual(expect.any(String));
    s.ownerGone(1);
    expect(s.size).toBe(1);
    expect(acquire(s, 3, 'k')).toBeNull();
  });

  it('does not let an exited owner take back a lock that expired and another then took', () => {
    vi.useFakeTimers({ toFake: ['performance'] });
    const s = new LockService();
    acquire(s, 1, 'k', 100);
    acquire(s, 1, 'other', 60_000);
    vi.advanceTimersByTime(100);
    expect(acquire(s, 2, 'k')).toEqual(expect.any(String));
    s.ownerGone(1);
    expect(s.size).toBe(1);
    expect(acquire(s, 3, 'k')).toBeNull();
    expect(acquire(s, 3, 'other')).toEqual(expect.any(String));
  });

  it('frees the rest of an exited owner’s locks after it released one of them', () => {
    const s = new LockService();
    const a = acquire(s, 1, 'a');
    acquire(s, 1, 'b');
    release(s, 1, 'a', a);
    s.ownerGone(1);
    expect(s.size).toBe(0);
    expect(acquire(s, 2, 'b')).toEqual(expect.any(String));
  });

  it('gives a new token each time a key is taken', () => {
    const s = new LockService();
    const first = acquire(s, 1, 'k');
    release(s, 1, 'k', first);
    const second = acquire(s, 1, 'k');
    expect(second).not.toBe(first);
    release(s, 1, 'k', first); // the stale token frees nothing
    expect(acquire(s, 2, 'k')).toBeNull();
    release(s, 1, 'other-key', second); // a token frees only its own key
    expect(s.size).toBe(1);
  });

  it('accepts the longest key and the longest ttl', () => {
    const s = new LockService();
    expect(acquire(s, 1, 'x'.repeat(MAX_LOCK_KEY_LENGTH))).toEqual(expect.any(String));
    expect(acquire(s, 1, 'k', MAX_TIMER_MS)).toEqual(expect.any(String));
  });

  it.each([
    ['a key that is not a string', LOCK_ACQUIRE, [5, 100], 'key'],
    ['an overlong key', LOCK_ACQUIRE, ['x'.repeat(MAX_LOCK_KEY_LENGTH + 1), 100], 'key'],
    ['an overlong key to release', LOCK_RELEASE, ['x'.repeat(MAX_LOCK_KEY_LENGTH + 1), 't'], 'key'],
    ['a ttl that is not a number', LOCK_ACQUIRE, ['k', '100'], 'ttlMs'],
    ['a ttl of 0', LOCK_ACQUIRE, ['k', 0], 'ttlMs'],
    ['a NaN ttl', LOCK_ACQUIRE, ['k', Number.NaN], 'ttlMs'],
    ['a ttl past the longest timer', LOCK_ACQUIRE, ['k', MAX_TIMER_MS + 1], 'ttlMs'],
  ])('refuses %s', (_name, op, args, option) => {
    const s = new LockService();
    expect(() => s.call(1, op, args)).toThrow(
      expect.objectContaining({
        code: 'ERR_LOADSTONE_INVALID_OPTION',
        option,
        expected: option === 'key' ? 'a string of at most 4096 characters' : 'a number > 0 and <= 2147483647',
      }),
    );
    expect(s.size).toBe(0);
  });

  it(`holds at most ${MAX_LOCKS} locks, reclaiming expired ones when full`, () => {
    vi.useFakeTimers({ toFake: ['performance'] });
    const s = new LockService();
    acquire(s, 1, 'short', 10);
    for (let i = 1; i < MAX_LOCKS; i++) acquire(s, 1, `k${i}`);
    expect(s.size).toBe(MAX_LOCKS);
    expect(() => acquire(s, 2, 'one-more')).toThrow(
      expect.objectContaining({
        code: 'ERR_LOADSTONE_CAPACITY',
        limit: MAX_LOCKS,
        message: 'cluster locks is full (limit 100000)',
      }),
    );
    vi.advanceTimersByTime(10);
    expect(acquire(s, 2, 'one-more')).toEqual(expect.any(String));
    expect(s.size).toBe(MAX_LOCKS);
  });
});
