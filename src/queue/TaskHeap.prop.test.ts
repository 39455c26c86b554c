// The queue's two stores of waiting tasks against a model: any sequence of pushes, pops, filters,
// drains and restores (of popped entries, in pop order, as load shedding puts held tasks back)
// pops in (key desc, seq asc) order and counts what it holds.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BucketQueue, type HeapEntry, TaskHeap, type TaskStore } from './TaskHeap.js';

type Op =
  | { readonly kind: 'push'; readonly key: number }
  | { readonly kind: 'pop' }
  | { readonly kind: 'restore'; readonly mask: readonly boolean[] }
  | { readonly kind: 'filter'; readonly modulo: number }
  | { readonly kind: 'drain' };

const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({ kind: fc.constant('push' as const), key: fc.integer({ min: -2, max: 3 }) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('push' as const),
      key: fc.double({ min: -100, max: 100, noNaN: true, noDefaultInfinity: true }),
    }),
  },
  { weight: 4, arbitrary: fc.constant({ kind: 'pop' as const }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('restore' as const),
      mask: fc.array(fc.boolean(), { maxLength: 8 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('filter' as const), modulo: fc.integer({ min: 2, max: 4 }) }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'drain' as const }) },
);

/** The entry that must pop next: highest key, then lowest seq. */
function next(model: readonly HeapEntry[]): HeapEntry | undefined {
  let best: HeapEntry | undefined;
  for (const e of model) {
    if (best === undefined || e.key > best.key || (e.key === best.key && e.seq < best.seq)) best = e;
  }
  return best;
}

const bySeq = (a: HeapEntry, b: HeapEntry) => a.seq - b.seq;

function check(store: TaskStore<HeapEntry>, ops: readonly Op[]): void {
  let model: HeapEntry[] = [];
  let popped: HeapEntry[] = [];
  let seq = 0;
  for (const o of ops) {
    if (o.kind === 'push') {
      const entry = { key: o.key, seq: seq++ };
      store.push(entry);
      model.push(entry);
    } else if (o.kind === 'pop') {
      const expected = next(model);
      expect(store.pop()).toBe(expected);
      if (expected !== undefined) {
        model = model.filter((e) => e !== expected);
        popped.push(expected);
      }
    } else if (o.kind === 'restore') {
      // Held tasks go back all at once; the others popped since then have started.
      const back = popped.filter((_, i) => o.mask[i] === true);
      store.restore(back);
      model.push(...back);
      popped = [];
    } else if (o.kind === 'filter') {
      const keep = (e: HeapEntry) => e.seq % o.modulo !== 0;
      store.filter(keep);
      model = model.filter(keep);
    } else {
      expect([...store.drain()].sort(bySeq)).toEqual([...model].sort(bySeq));
      model = [];
    }
    expect(store.length).toBe(model.length);
  }
  for (let expected = next(model); expected !== undefined; expected = next(model)) {
    expect(store.pop()).toBe(expected);
    model = model.filter((e) => e !== expected);
  }
  expect([store.pop(), store.length]).toEqual([undefined, 0]);
}

describe.each([
  ['TaskHeap', () => new TaskHeap<HeapEntry>()],
  ['BucketQueue', () => new BucketQueue<HeapEntry>()],
])('%s', (_name, make) => {
  it('pops in (key desc, seq asc) order through pushes, pops, restores, filters and drains', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 120 }), (ops) => check(make(), ops)),
      { numRuns: 300 },
    );
  });

  it('pops in order after a filter of distinct keys', () => {
    // A filter leaves holes in the heap's layout; what remains must be ordered again.
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 1_000 }), { minLength: 2, maxLength: 60 }),
        fc.array(fc.boolean(), { minLength: 60, maxLength: 60 }),
        (keys, keepMask) => {
          const store = make();
          for (const [seq, key] of keys.entries()) store.push({ key, seq });
          store.filter((e) => keepMask[e.seq] === true);
          const popped: number[] = [];
          for (let e = store.pop(); e !== undefined; e = store.pop()) popped.push(e.key);
          const expected = keys.filter((_, seq) => keepMask[seq] === true).sort((a, b) => b - a);
          expect(popped).toEqual(expected);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('keeps FIFO order within a key across thousands of entries', () => {
    // Long enough for BucketQueue to compact a bucket consumed from its head.
    const store = make();
    const entries = Array.from({ length: 3_000 }, (_, seq) => ({ key: 1, seq }));
    for (const e of entries.slice(0, 2_500)) store.push(e);
    const out: HeapEntry[] = [];
    for (let i = 0; i < 1_600; i++) out.push(store.pop() as HeapEntry);
    for (const e of entries.slice(2_500)) store.push(e);
    for (let e = store.pop(); e !== undefined; e = store.pop()) out.push(e);
    expect(out).toEqual(entries);
    expect(store.length).toBe(0);
  });

  it('keeps the order of many distinct keys as they come and go', () => {
    // More distinct priorities than BucketQueue keeps empty buckets for.
    const store = make();
    const order = (list: HeapEntry[]) => [...list].sort((a, b) => b.key - a.key || a.seq - b.seq);
    const batch = (from: number) =>
      Array.from({ length: 200 }, (_, i) => ({ key: (i * 37) % 101, seq: from + i }));
    const early = batch(0);
    for (const e of early) store.push(e);
    const first = Array.from({ length: 150 }, () => store.pop());
    expect(first).toEqual(order(early).slice(0, 150));
    const late = batch(200);
    for (const e of late) store.push(e);
    const rest: HeapEntry[] = [];
    for (let e = store.pop(); e !== undefined; e = store.pop()) rest.push(e);
    expect(rest).toEqual(order([...order(early).slice(150), ...late]));
  });
});
