import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WaiterQueue } from './WaiterQueue.js';

const DEAD = 2;
type Item = { id: number; state: number };
const item = (id: number, state = 0): Item => ({ id, state });
const ids = (items: readonly (Item | undefined)[]) => items.map((i) => i?.id);

describe('WaiterQueue (the pool’s waiting acquires)', () => {
  it('is first in, first out, skipping entries marked dead', () => {
    const queue = new WaiterQueue<Item>();
    const [a, b, c, d] = [item(1), item(2), item(3), item(4)];
    for (const i of [a, b, c, d]) queue.push(i);
    b.state = DEAD;
    expect(queue.shift(DEAD)).toBe(a);
    expect(queue.peek(DEAD)).toBe(c); // b dropped on the way, c left in place
    expect(queue.shift(DEAD)).toBe(c);
    d.state = DEAD;
    expect([queue.peek(DEAD), queue.shift(DEAD)]).toEqual([undefined, undefined]);
  });

  it('puts an entry back at the front, whether or not entries were taken before', () => {
    const fresh = new WaiterQueue<Item>();
    fresh.push(item(2));
    fresh.unshift(item(1));
    expect(ids([fresh.shift(DEAD), fresh.shift(DEAD)])).toEqual([1, 2]);
    const used = new WaiterQueue<Item>();
    for (const id of [1, 2, 3]) used.push(item(id));
    const first = used.shift(DEAD) as Item;
    used.unshift(first);
    expect(ids([used.shift(DEAD), used.shift(DEAD), used.shift(DEAD)])).toEqual([1, 2, 3]);
  });

  it('drains every entry left, the dead included, and is empty after', () => {
    const queue = new WaiterQueue<Item>();
    for (const id of [1, 2, 3]) queue.push(item(id));
    queue.shift(DEAD);
    const dead = item(4, DEAD);
    queue.push(dead);
    expect(ids(queue.drain())).toEqual([2, 3, 4]);
    expect(queue.shift(DEAD)).toBeUndefined();
    queue.push(item(5));
    expect(queue.shift(DEAD)?.id).toBe(5);
  });

  it('keeps FIFO order with the dead skipped through any mix of operations, across compactions (property)', () => {
    type Op =
      | { kind: 'push' }
      | { kind: 'shift' }
      | { kind: 'peek' }
      | { kind: 'kill'; at: number }
      | { kind: 'back' };
    const op = fc.oneof(
      { arbitrary: fc.constant<Op>({ kind: 'push' }), weight: 6 },
      { arbitrary: fc.constant<Op>({ kind: 'shift' }), weight: 4 },
      { arbitrary: fc.constant<Op>({ kind: 'peek' }), weight: 1 },
      { arbitrary: fc.nat({ max: 50 }).map<Op>((at) => ({ kind: 'kill', at })), weight: 1 },
      { arbitrary: fc.constant<Op>({ kind: 'back' }), weight: 1 },
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 3_000 }), (ops) => {
        const queue = new WaiterQueue<Item>();
        const model: Item[] = []; // the live entries, in order
        let next = 0;
        let lastTaken: Item | undefined;
        for (const o of ops) {
          if (o.kind === 'push') {
            const i = item(next++);
            queue.push(i);
            model.push(i);
          } else if (o.kind === 'shift') {
            const got = queue.shift(DEAD);
            expect(got).toBe(model.shift());
            lastTaken = got;
          } else if (o.kind === 'peek') {
            expect(queue.peek(DEAD)).toBe(model[0]);
          } else if (o.kind === 'kill') {
            const victim = model[o.at % Math.max(1, model.length)];
            if (victim !== undefined) {
              victim.state = DEAD;
              model.splice(model.indexOf(victim), 1);
            }
          } else if (lastTaken !== undefined) {
            queue.unshift(lastTaken);
            model.unshift(lastTaken);
            lastTaken = undefined;
          }
        }
        const rest: Item[] = [];
        for (let i = queue.shift(DEAD); i !== undefined; i = queue.shift(DEAD)) rest.push(i);
        expect(rest).toEqual(model);
      }),
      { numRuns: 60 },
    );
  });

  it('keeps its order after more than 1,024 entries were taken (the array is compacted)', () => {
    const queue = new WaiterQueue<Item>();
    for (let id = 0; id < 3_000; id++) queue.push(item(id));
    for (let id = 0; id < 2_000; id++) expect(queue.shift(DEAD)?.id).toBe(id);
    queue.unshift(item(-1));
    const rest: number[] = [];
    for (let i = queue.shift(DEAD); i !== undefined; i = queue.shift(DEAD)) rest.push(i.id);
    expect(rest).toEqual([-1, ...Array.from({ length: 1_000 }, (_, k) => 2_000 + k)]);
  });

  it('holds no slot once every entry is gone, and puts an entry back in front without a hole', () => {
    const queue = new WaiterQueue<Item>();
    queue.push(item(1));
    queue.unshift(item(0));
    expect(queue.slots).toBe(2);
    queue.shift(DEAD);
    queue.push(item(2, DEAD));
    expect(queue.slots).toBe(3);
    expect(queue.shift(DEAD)?.id).toBe(1);
    expect(queue.slots).toBe(3); // the dead entry is not passed yet
    expect(queue.peek(DEAD)).toBeUndefined();
    expect(queue.slots).toBe(0);
  });

  it('cuts off the taken prefix once it is 1,024 slots long and half the array, not before', () => {
    const filled = (n: number) => {
      const queue = new WaiterQueue<Item>();
      for (let id = 0; id < n; id++) queue.push(item(id));
      return queue;
    };
    const half = filled(2_048);
    for (let k = 0; k < 1_023; k++) half.shift(DEAD);
    expect(half.slots).toBe(2_048); // 1,023 taken: under 1,024
    half.shift(DEAD);
    expect(half.slots).toBe(1_024); // 1,024 taken, exactly half: cut
    const under = filled(2_049);
    for (let k = 0; k < 1_024; k++) under.shift(DEAD);
    expect(under.slots).toBe(2_049); // 1,024 taken, under half
    under.shift(DEAD);
    expect(under.slots).toBe(1_024); // 1,025 of 2,049: cut
    const small = filled(10);
    for (let k = 0; k < 9; k++) small.shift(DEAD);
    expect(small.slots).toBe(10); // most of the array taken, but under 1,024 slots
  });
});
