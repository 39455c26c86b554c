import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RunQueue, type RunQueueItem } from './RunQueue.js';

type Item = RunQueueItem & { readonly id: string };
let seq = 0;
const item = (id: string, priority = 0): Item => ({ id, priority, seq: seq++, removed: false });
const ids = (q: RunQueue<Item>): string[] => q.drain().map((i) => i.id);

describe('RunQueue', () => {
  it('runs higher priorities first and keeps call order within a priority', () => {
    const q = new RunQueue<Item>();
    for (const i of [
      item('a'),
      item('low', -2),
      item('b'),
      item('high', 3),
      item('c'),
      item('high2', 3),
      item('mid', 1),
    ]) {
      q.push(i);
    }
    expect(q.size).toBe(7);
    expect(q.peek()?.id).toBe('high');
    expect(ids(q)).toEqual(['high', 'high2', 'mid', 'a', 'b', 'c', 'low']);
    expect(q.size).toBe(0);
  });

  it('removes lazily and never hands out a removed item', () => {
    const q = new RunQueue<Item>();
    const [a, b, c, d] = [item('a'), item('b', 2), item('c'), item('d', -1)];
    for (const i of [a, b, c, d]) q.push(i as Item);
    expect(q.remove(b as Item)).toBe(true);
    expect(q.remove(b as Item)).toBe(false);
    expect(q.remove(c as Item)).toBe(true);
    expect(q.size).toBe(2);
    expect(ids(q)).toEqual(['a', 'd']);
  });

  it('puts items back at the front of their priority (pushFront), in reverse order', () => {
    const q = new RunQueue<Item>();
    const first = item('first');
    const second = item('second');
    const later = item('later');
    q.push(later);
    q.pushFront(second);
    q.pushFront(first);
    expect(ids(q)).toEqual(['first', 'second', 'later']);
  });

  it('matches a sorted-array model under random pushes, removals and shifts', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.integer({ min: -2, max: 2 }), fc.constant('shift' as const), fc.nat(50)), {
          maxLength: 300,
        }),
        (ops) => {
          const q = new RunQueue<Item>();
          let model: Item[] = [];
          let n = 0;
          for (const op of ops) {
            if (op === 'shift') {
              model.sort((x, y) => y.priority - x.priority || x.seq - y.seq);
              expect(q.shift()?.id).toBe(model.shift()?.id);
            } else if (op >= 10) {
              const victim = model[op % Math.max(1, model.length)];
              if (victim !== undefined) {
                q.remove(victim);
                model = model.filter((m) => m !== victim);
              }
            } else {
              const it = { id: String(n++), priority: op, seq: seq++, removed: false };
              q.push(it);
              model.push(it);
            }
            expect(q.size).toBe(model.length);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
