import { describe, expect, it } from 'vitest';
import { expectInvalidOption } from '../../test/helpers/expectInvalidOption.js';
import { FakeClock } from '../testing/FakeClock.js';
import { MemoryRateLimitStore } from './MemoryRateLimitStore.js';
import { RateLimiter } from './RateLimiter.js';
import type { SlidingWindowRule } from './RateLimitStore.js';
import { entryBytes } from './rateLimitEntryBytes.js';

// maxBytes bounds what long keys cost: each key counts 192 bytes plus 2 per character.
describe('MemoryRateLimitStore maxBytes', () => {
  function setup(maxBytes: number) {
    const clock = new FakeClock();
    const store = new MemoryRateLimitStore({ maxBytes });
    const limiter = new RateLimiter({ limit: 1, periodMs: 60_000, store, clock });
    return { clock, store, limiter };
  }

  it('counts each key as 192 bytes plus two per character', async () => {
    const { store, limiter } = setup(10_000);
    await limiter.limit('abc');
    expect(entryBytes('abc')).toBe(198);
    expect(store.bytes).toBe(198);
    await limiter.limit('x'.repeat(100));
    expect(store.bytes).toBe(198 + 392);
  });

  it('drops the keys stored longest ago until a new key fits, which then start afresh', async () => {
    // Three keys of 100 characters (392 bytes each) fit in 1,200 bytes; the fourth evicts one.
    const { store, limiter } = setup(1_200);
    const keys = ['a', 'b', 'c', 'd'].map((c) => c.repeat(100));
    for (const key of keys.slice(0, 3)) expect((await limiter.limit(key)).allowed).toBe(true);
    expect((await limiter.limit(keys[0] as string)).allowed).toBe(false);
    expect(store.size).toBe(3);
    await limiter.limit(keys[3] as string);
    expect(store.size).toBe(3);
    expect(store.bytes).toBe(3 * 392);
    // keys[0] was the oldest: dropped, so it is allowed again; keys[1] is still held.
    expect((await limiter.limit(keys[1] as string)).allowed).toBe(false);
    expect((await limiter.limit(keys[0] as string)).allowed).toBe(true);
  });

  it('keeps keys that fill maxBytes exactly', async () => {
    const { store, limiter } = setup(2 * entryBytes('a'));
    await limiter.limit('a');
    await limiter.limit('b');
    expect([store.size, store.bytes]).toEqual([2, 2 * entryBytes('a')]);
    expect((await limiter.limit('a')).allowed).toBe(false); // still held: not evicted
  });

  it('evicts as many short keys as one long key needs', async () => {
    const { store, limiter } = setup(1_000);
    for (const key of ['a', 'b', 'c', 'd']) await limiter.limit(key); // 4 × 194 = 776 bytes
    expect(store.size).toBe(4);
    await limiter.limit('L'.repeat(200)); // 592 bytes: the two oldest short keys must go
    expect(store.size).toBe(3);
    expect(store.bytes).toBe(2 * 194 + 592);
    expect((await limiter.limit('c')).allowed).toBe(false); // still held
    expect((await limiter.limit('b')).allowed).toBe(true); // dropped: afresh
  });

  it('keeps a key larger than the whole budget alone, so it is still limited', async () => {
    const { store, limiter } = setup(500);
    await limiter.limit('a');
    const huge = 'h'.repeat(1_000);
    expect((await limiter.limit(huge)).allowed).toBe(true);
    expect(store.size).toBe(1);
    expect(store.bytes).toBe(entryBytes(huge));
    expect((await limiter.limit(huge)).allowed).toBe(false);
  });

  it('gives the bytes back on delete, on the sweep and on clear', async () => {
    const { clock, store, limiter } = setup(1_000_000);
    const rule: SlidingWindowRule = {
      algorithm: 'sliding-window',
      keyPrefix: 'p:',
      limit: 1,
      periodMs: 1_000,
    };
    store.penalize('gone', rule, 1, 0);
    expect(store.bytes).toBe(entryBytes('gone'));
    expect(store.delete('gone', rule)).toBe(true);
    expect(store.bytes).toBe(0);
    for (let i = 0; i < 10; i++) await limiter.limit(`old${i}`);
    clock.advance(62_000); // expired for over the one-second grace
    for (let i = 0; i < 10; i++) await limiter.limit(`new-key-${i}`);
    expect(store.size).toBe(10); // each insert swept two: the old keys are gone
    expect(store.bytes).toBe(10 * entryBytes('new-key-0'));
    store.clear();
    expect(store.bytes).toBe(0);
  });

  it('validates maxBytes', () => {
    expectInvalidOption(
      () => new MemoryRateLimitStore({ maxBytes: 0 }),
      'options.maxBytes',
      'an integer >= 1',
    );
    expectInvalidOption(
      () => new MemoryRateLimitStore({ maxBytes: 1.5 }),
      'options.maxBytes',
      'an integer >= 1',
    );
  });
});
