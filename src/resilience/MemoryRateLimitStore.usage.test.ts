import { describe, expect, it } from 'vitest';
import { expectInvalidOption } from '../../test/helpers/expectInvalidOption.js';
import { MemoryRateLimitStore } from './MemoryRateLimitStore.js';
import type { GcraRule, SlidingWindowRule } from './RateLimitStore.js';

const GCRA: GcraRule = Object.freeze({
  algorithm: 'gcra',
  keyPrefix: 'g:',
  emissionIntervalMs: 100,
  burst: 5,
  toleranceMs: 500,
  epsilonMs: 1e-4,
});
const WINDOW: SlidingWindowRule = Object.freeze({
  algorithm: 'sliding-window',
  keyPrefix: 'w:',
  limit: 10,
  periodMs: 1_000,
});
/** A sliding window on GCRA's prefix: the two algorithms write the same keys. */
const SHARED: SlidingWindowRule = Object.freeze({ ...WINDOW, keyPrefix: GCRA.keyPrefix });

// The reads and writes ClusterRateLimitStore builds on: what a key holds, cost handed over, forgetting.
describe('MemoryRateLimitStore usage, penalize and delete', () => {
  it('reads what a GCRA key holds, draining with time, without recording anything', () => {
    const store = new MemoryRateLimitStore();
    expect(store.usage('k', GCRA, 0)).toBe(0);
    store.consume('k', GCRA, 3, 1_000);
    expect(store.usage('k', GCRA, 1_000)).toBe(3);
    expect(store.usage('k', GCRA, 1_150)).toBeCloseTo(1.5);
    expect(store.usage('k', GCRA, 1_300)).toBe(0);
    expect(store.usage('k', GCRA, 5_000)).toBe(0);
    expect(store.consume('k', GCRA, 0, 1_000)).toMatchObject({ remaining: 2 });
    expect(store.usage('k', WINDOW, 1_000)).toBe(0); // another algorithm's key reads as empty
  });

  it('reads a sliding window’s estimate: this window plus the previous one, weighted', () => {
    const store = new MemoryRateLimitStore();
    store.consume('k', WINDOW, 4, 2_000);
    expect(store.usage('k', WINDOW, 2_500)).toBe(4);
    // Next window: the 4 weigh what is left of it.
    expect(store.usage('k', WINDOW, 3_250)).toBeCloseTo(3);
    store.consume('k', WINDOW, 2, 3_250);
    expect(store.usage('k', WINDOW, 3_500)).toBeCloseTo(4);
    expect(store.usage('k', WINDOW, 4_500)).toBeCloseTo(1);
    expect(store.usage('k', WINDOW, 5_000)).toBe(0);
    expect(store.usage('k', GCRA, 3_500)).toBe(0);
  });

  it('penalizes a key past its limit, and later calls wait it out', () => {
    const store = new MemoryRateLimitStore();
    store.penalize('k', GCRA, 7.5, 0);
    expect(store.usage('k', GCRA, 0)).toBe(7.5);
    expect(store.consume('k', GCRA, 1, 0).allowed).toBe(false);
    // 7.5 + 1 fits the burst of 5 once 3.5 units have dripped away.
    expect(store.consume('k', GCRA, 1, 349).allowed).toBe(false);
    expect(store.consume('k', GCRA, 1, 350).allowed).toBe(true);
    store.penalize('k', GCRA, 1, 350);
    expect(store.usage('k', GCRA, 350)).toBeCloseTo(6);

    store.penalize('w', WINDOW, 9, 0);
    expect(store.consume('w', WINDOW, 1, 10)).toMatchObject({ allowed: true, remaining: 0 });
    expect(store.consume('w', WINDOW, 1, 20).allowed).toBe(false);
    store.penalize('w', WINDOW, 2, 1_500); // next window: the 10 count as previous
    expect(store.usage('w', WINDOW, 1_500)).toBeCloseTo(7);
    expect(store.size).toBe(2);
  });

  it('penalizes an expired key from empty, and a cost of 0 records nothing', () => {
    const store = new MemoryRateLimitStore();
    store.penalize('k', GCRA, 0, 0);
    expect(store.size).toBe(0);
    store.consume('k', GCRA, 5, 0);
    store.penalize('k', GCRA, 1, 10_000);
    expect(store.usage('k', GCRA, 10_000)).toBe(1);
    store.consume('w', WINDOW, 5, 0);
    store.penalize('w', WINDOW, 1, 10_000);
    expect(store.usage('w', WINDOW, 10_000)).toBe(1);
  });

  it('forgets a deleted key: its next call starts from a fresh limit', () => {
    const store = new MemoryRateLimitStore();
    store.consume('k', GCRA, 5, 0);
    expect(store.delete('k', GCRA)).toBe(true);
    expect(store.delete('k', GCRA)).toBe(false);
    expect(store.delete('k', { ...GCRA, keyPrefix: 'other:' })).toBe(false);
    expect(store.size).toBe(0);
    expect(store.consume('k', GCRA, 5, 0).allowed).toBe(true);
  });

  it.each([-1, Number.NaN, Number.POSITIVE_INFINITY, '1'])('refuses a penalty of %s', (cost) => {
    const store = new MemoryRateLimitStore();
    expectInvalidOption(() => store.penalize('k', GCRA, cost as number, 0), 'cost', 'a finite number >= 0');
    expect(store.size).toBe(0);
  });

  it('adds a penalty to what a sliding window counted in the same window, its previous one kept', () => {
    const store = new MemoryRateLimitStore();
    store.consume('k', WINDOW, 3, 0);
    store.penalize('k', WINDOW, 2, 500);
    expect(store.usage('k', WINDOW, 500)).toBe(5);
    store.consume('j', WINDOW, 4, 0);
    store.consume('j', WINDOW, 2, 1_000);
    store.penalize('j', WINDOW, 1, 1_500);
    expect(store.usage('j', WINDOW, 1_500)).toBeCloseTo(4 * 0.5 + 3);
  });

  it('reads and penalizes a key last written by the other algorithm as empty', () => {
    const store = new MemoryRateLimitStore();
    store.consume('k', GCRA, 3, 0);
    store.consume('k', SHARED, 2, 0);
    expect([store.usage('k', GCRA, 0), store.usage('k', SHARED, 0)]).toEqual([0, 2]);
    store.consume('k', GCRA, 1, 0);
    expect([store.usage('k', GCRA, 0), store.usage('k', SHARED, 0)]).toEqual([1, 0]);
    // GCRA over a window's count, and a window over GCRA (in its window and the next).
    store.consume('a', GCRA, 4, 0);
    store.consume('a', SHARED, 3, 0);
    store.penalize('a', GCRA, 1, 0);
    expect(store.usage('a', GCRA, 0)).toBe(1);
    store.consume('b', SHARED, 3, 0);
    store.consume('b', GCRA, 1, 0);
    store.penalize('b', SHARED, 2, 0);
    expect(store.usage('b', SHARED, 0)).toBe(2);
    store.consume('c', SHARED, 3, 0);
    store.consume('c', GCRA, 1, 1_000);
    store.penalize('c', SHARED, 2, 1_000);
    expect(store.usage('c', SHARED, 1_000)).toBe(2);
  });

  it('never hands a state it penalized to another key', () => {
    const store = new MemoryRateLimitStore();
    // A read of a fresh key keeps its untouched state for the next new key.
    expect(store.consume('peek', GCRA, 0, 0).allowed).toBe(true);
    store.penalize('heavy', GCRA, 5, 0);
    expect(store.consume('fresh', GCRA, 5, 0)).toMatchObject({ allowed: true, remaining: 0 });
    expect(store.usage('heavy', GCRA, 0)).toBe(5);
    expect(store.size).toBe(2);
  });
});
