import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type LoadedSlot, loadBound, pickBounded } from './boundedLoad.js';

const slotsArb = fc
  .array(fc.nat({ max: 200 }), { minLength: 1, maxLength: 12 })
  .map((opens) => opens.map((open, i): LoadedSlot => ({ id: `w${i}`, open })));

describe('pickBounded', () => {
  it('picks the first slot in the key’s order that is under the bound, so none goes over it', () => {
    fc.assert(
      fc.property(slotsArb, fc.double({ min: 1, max: 4, noNaN: true }), fc.nat(), (slots, factor, seed) => {
        // A key's ring order: a rotation of the slots (any permutation would do).
        const start = seed % slots.length;
        const order = [...slots.slice(start), ...slots.slice(0, start)];
        const picked = pickBounded(order, slots, factor) as LoadedSlot;
        const bound = loadBound(slots, factor);
        expect(picked.open).toBeLessThan(bound);
        const before = order.slice(0, order.indexOf(picked));
        expect(before.every((s) => s.open >= bound)).toBe(true);
      }),
      { numRuns: 2_000 },
    );
  });

  it('keeps every slot within the bound when connections arrive one by one, whatever their keys', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.array(fc.nat(), { minLength: 1, maxLength: 300 }),
        fc.double({ min: 1, max: 3, noNaN: true }),
        (n, keys, factor) => {
          const slots = Array.from({ length: n }, (_, i) => ({ id: `w${i}`, open: 0 }));
          for (const key of keys) {
            const start = key % n; // every key hashing to one slot is the worst case
            const order = [...slots.slice(start), ...slots.slice(0, start)];
            const bound = loadBound(slots, factor);
            const picked = pickBounded(order, slots, factor) as { open: number };
            picked.open++;
            expect(picked.open).toBeLessThanOrEqual(bound);
          }
          const total = keys.length;
          for (const slot of slots) expect(slot.open).toBeLessThanOrEqual(Math.ceil((factor * total) / n));
        },
      ),
      { numRuns: 1_000 },
    );
  });

  it('keeps a key on its own slot while that slot is under the bound', () => {
    const slots = [
      { id: 'a', open: 3 },
      { id: 'b', open: 3 },
      { id: 'c', open: 3 },
    ];
    expect(pickBounded(slots, slots, 1.25)?.id).toBe('a'); // bound ⌈1.25 × 10 / 3⌉ = 5
    const hot = [{ id: 'a', open: 5 }, ...slots.slice(1)];
    expect(pickBounded(hot, hot, 1.25)?.id).toBe('b'); // bound ⌈1.25 × 12 / 3⌉ = 5: a is full
    expect(pickBounded([], slots, 1.25)).toBeUndefined();
  });
});
