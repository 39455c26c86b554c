import { describe, expect, expectTypeOf, it } from 'vitest';
import type { MetricsSource } from './MetricsSource.js';

describe('MetricsSource', () => {
  it('returns a fresh plain snapshot on each call', () => {
    // #region metricsSource
    interface CounterStats {
      hits: number;
      misses: number;
      hitRatio: number;
    }
    class Counter implements MetricsSource<CounterStats> {
      #hits = 0;
      #misses = 0;
      count(hit: boolean): void {
        if (hit) this.#hits++;
        else this.#misses++;
      }
      stats(): CounterStats {
        const total = this.#hits + this.#misses;
        return { hits: this.#hits, misses: this.#misses, hitRatio: total === 0 ? 0 : this.#hits / total };
      }
    }
    const counter = new Counter();
    counter.count(true);
    const before = counter.stats(); // { hits: 1, misses: 0, hitRatio: 1 }
    counter.count(false);
    // `before` is unchanged: each call returns a new object
    // #endregion metricsSource
    expect(before).toEqual({ hits: 1, misses: 0, hitRatio: 1 });
    expect(counter.stats()).toEqual({ hits: 1, misses: 1, hitRatio: 0.5 });
    expect(counter.stats()).not.toBe(counter.stats());
  });

  it('accepts only JSON-compatible snapshot types', () => {
    interface Good {
      size: number;
      byTier: { name: string; hits: number }[];
      lastError?: string;
    }
    expectTypeOf<MetricsSource<Good>['stats']>().returns.toEqualTypeOf<Readonly<Good>>();
    // @ts-expect-error: a Date is not plain data
    type BadDate = MetricsSource<{ since: Date }>;
    // @ts-expect-error: neither is a function
    type BadFn = MetricsSource<{ reset: () => void }>;
    expectTypeOf<BadDate | BadFn>().not.toBeNever();
  });
});
