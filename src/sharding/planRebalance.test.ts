// `plan()` against plans worked out independently: maglev's from the slot owners the sharders
// show (a key's `position` is its slot), ring's from the ring's points (point i of node `id` at
// murmur3(`${id}-${i}`)), and the sampled ones from their documented properties.
import { describe, expect, it } from 'vitest';
import { expectInvalidOption } from '../../test/helpers/expectInvalidOption.js';
import type { ShardAlgorithmName } from './algorithms/ShardAlgorithm.js';
import { ConsistentHashSharder } from './ConsistentHashSharder.js';
import { murmur3 } from './hashers.js';
import type { ShardMove } from './RebalancePlan.js';

const ALGORITHMS: readonly ShardAlgorithmName[] = ['ring', 'ketama', 'jump', 'rendezvous', 'maglev'];
type Segment = { readonly end: number; readonly from: string; readonly to: string };

/** The moves between two owners-by-segment lists: adjacent stretches merged, largest first. */
function referenceMoves(segments: readonly Segment[], size: number): ShardMove[] {
  const moves = new Map<
    string,
    { from: string; to: string; count: number; ranges: { start: number; end: number }[] }
  >();
  let start = 0;
  for (const { end, from, to } of segments) {
    if (from !== to) {
      const id = `${from}→${to}`;
      const move = moves.get(id) ?? { from, to, count: 0, ranges: [] };
      moves.set(id, move);
      move.count += end - start + 1;
      const last = move.ranges.at(-1);
      if (last?.end === start - 1) last.end = end;
      else move.ranges.push({ start, end });
    }
    start = end + 1;
  }
  return [...moves.values()]
    .map(({ from, to, count, ranges }) => ({ from, to, fraction: count / size, ranges }))
    .sort((a, b) => b.fraction - a.fraction);
}

/** Each maglev slot's owner, found by probing keys until every slot has shown up. */
function slotOwners(sharder: ConsistentHashSharder, size: number): string[] {
  const owners: string[] = [];
  let seen = 0;
  for (let i = 0; seen < size; i++) {
    const slot = sharder.position(`probe:${i}`) as number;
    if (owners[slot] === undefined) seen++;
    owners[slot] = sharder.getNode(`probe:${i}`);
  }
  return owners;
}

/** The owner of every stretch of the 32-bit ring, before and after, from both rings' points. */
function ringSegments(before: readonly string[], after: readonly string[], vnodes: number): Segment[] {
  const pointsOf = (ids: readonly string[]) =>
    ids
      .flatMap((id) => Array.from({ length: vnodes }, (_, i) => ({ point: murmur3(`${id}-${i}`), id })))
      .sort((a, b) => a.point - b.point || (a.id < b.id ? -1 : 1));
  const owner = (points: { point: number; id: string }[], hash: number) =>
    (points.find((entry) => entry.point >= hash) ?? points[0])?.id as string;
  const a = pointsOf(before);
  const b = pointsOf(after);
  const ends = [...new Set([...a, ...b].map((entry) => entry.point).concat(0xffffffff))].sort(
    (x, y) => x - y,
  );
  return ends.map((end) => ({ end, from: owner(a, end), to: owner(b, end) }));
}

describe('plan', () => {
  it('lists maglev moves slot for slot, merged into ranges, largest first', () => {
    const sharder = new ConsistentHashSharder({
      algorithm: 'maglev',
      nodes: ['a', 'b', 'c', 'd'],
      tableSize: 31,
    });
    const before = slotOwners(sharder, 31);
    for (const [change, ids] of [
      [{ remove: ['b'], add: ['e'] }, ['a', 'c', 'd', 'e']],
      [{ add: [{ id: 'e', weight: 3 }] }, ['a', 'b', 'c', 'd', { id: 'e', weight: 3 }]],
      [{ remove: ['a', 'c'] }, ['b', 'd']],
    ] as const) {
      const after = slotOwners(
        new ConsistentHashSharder({ algorithm: 'maglev', nodes: ids, tableSize: 31 }),
        31,
      );
      const plan = sharder.plan(change);
      const expected = referenceMoves(
        before.map((from, slot) => ({ end: slot, from, to: after[slot] as string })),
        31,
      );
      expect(plan.moves).toEqual(expected);
      expect(plan.movedFraction).toBeCloseTo(
        expected.reduce((sum, move) => sum + move.fraction, 0),
        12,
      );
      expect(plan.space).toBe('maglev-table');
      expect(plan.exact).toBe(true);
    }
  });

  it('lists ring moves as exact hash ranges, merged, the wrap-around included', () => {
    const sharder = new ConsistentHashSharder({ nodes: ['a', 'b', 'c'], vnodes: 3 });
    for (const [change, ids] of [
      [{ remove: ['b'] }, ['a', 'c']],
      [{ add: ['d'] }, ['a', 'b', 'c', 'd']],
      [{ remove: ['a', 'b'], add: ['e', 'f'] }, ['c', 'e', 'f']],
    ] as const) {
      const plan = sharder.plan(change);
      const expected = referenceMoves(ringSegments(['a', 'b', 'c'], ids, 3), 2 ** 32);
      expect(plan.moves).toEqual(expected);
      expect(plan.movedFraction).toBeCloseTo(
        expected.reduce((sum, move) => sum + move.fraction, 0),
        12,
      );
      expect(plan).toMatchObject({
        algorithm: 'ring',
        before: ['a', 'b', 'c'],
        after: ids,
        space: 'ring32',
        exact: true,
      });
    }
  });

  // Jump gives e the bucket d leaves, so only d's quarter moves. Rendezvous moves d's quarter too,
  // and e outscores a, b and c on a fifth of each one's keys: 0.25 + 3 × 0.25 / 5 = 0.4.
  it.each([
    ['jump', 0.25],
    ['rendezvous', 0.4],
  ] as const)('estimates %s moves from a fixed sample of 65,536 keys', (algorithm, share) => {
    const sharder = new ConsistentHashSharder({ algorithm, nodes: ['a', 'b', 'c', 'd'] });
    const plan = sharder.plan({ remove: ['d'], add: ['e'] });
    expect(plan).toMatchObject({ algorithm, space: 'none', exact: false });
    expect(sharder.plan({ remove: ['d'], add: ['e'] }).moves).toEqual(plan.moves);
    const fractions = plan.moves.map((move) => move.fraction);
    expect(fractions).toEqual([...fractions].sort((x, y) => y - x));
    for (const move of plan.moves) {
      expect(Number.isInteger(move.fraction * 65_536)).toBe(true);
      expect(move.fraction).toBeGreaterThan(0);
      expect(move.ranges).toEqual([]);
      expect(move.from === 'd' || move.to === 'e').toBe(true);
    }
    expect(plan.movedFraction).toBeCloseTo(
      fractions.reduce((sum, fraction) => sum + fraction, 0),
      12,
    );
    expect(Math.abs(plan.movedFraction - share)).toBeLessThan(0.02);
    const keys = Array.from({ length: 2_000 }, (_, i) => `key:${i}`);
    const moved = keys.filter((key) => plan.destination(key) !== undefined).length / keys.length;
    expect(Math.abs(moved - plan.movedFraction)).toBeLessThan(0.05);
  });

  it.each([['jump'], ['rendezvous']] as const)(
    'counts every sampled key once when all of them move (%s)',
    (algorithm) => {
      const plan = new ConsistentHashSharder({ algorithm, nodes: ['a'] }).plan({ remove: ['a'], add: ['b'] });
      expect(plan.moves).toEqual([{ from: 'a', to: 'b', fraction: 1, ranges: [] }]);
      expect(plan.movedFraction).toBe(1);
      expect(plan.destination('key')).toEqual({ from: 'a', to: 'b' });
    },
  );

  it.each(ALGORITHMS.map((algorithm) => [algorithm]))('plans nothing for no change (%s)', (algorithm) => {
    const sharder = new ConsistentHashSharder({ algorithm, nodes: ['a', 'b'] });
    for (const change of [{}, { add: [], remove: [] }, { remove: ['a'], add: ['a'] }]) {
      const plan = sharder.plan(change);
      expect(plan.movedFraction).toBe(0);
      expect(plan.moves).toEqual([]);
      expect(plan.before).toEqual(['a', 'b']);
      expect(plan.destination('key')).toBeUndefined();
    }
  });

  it.each(ALGORITHMS.map((algorithm) => [algorithm]))(
    'plans the first and the last node (%s)',
    (algorithm) => {
      const sharder = new ConsistentHashSharder({ algorithm, nodes: ['a', 'b'] });
      const last = sharder.plan({ remove: ['a', 'b'] });
      expect(last).toMatchObject({ algorithm, before: ['a', 'b'], after: [], space: 'none', exact: true });
      expect(last.movedFraction).toBe(1);
      expect(last.moves).toEqual([]);
      expect(last.destination('key')).toBeUndefined();
      sharder.removeNode('a');
      sharder.removeNode('b');
      const first = sharder.plan({ add: ['c'] });
      expect(first).toMatchObject({ algorithm, before: [], after: ['c'], space: 'none', exact: true });
      expect(first.movedFraction).toBe(0);
      expect(first.moves).toEqual([]);
      expect(first.destination('key')).toBeUndefined();
    },
  );

  it('keeps answering for the topology it was made from after the sharder changes', () => {
    for (const algorithm of ALGORITHMS) {
      const sharder = new ConsistentHashSharder({ algorithm, nodes: ['a', 'b', 'c'] });
      const keys = Array.from({ length: 200 }, (_, i) => `key:${i}`);
      const owners = keys.map((key) => sharder.getNode(key));
      const plan = sharder.plan({ add: ['d'] });
      sharder.removeNode('a');
      sharder.addNode('e');
      keys.forEach((key, i) => {
        const move = plan.destination(key);
        if (move) expect(move).toEqual({ from: owners[i], to: 'd' });
      });
      expect(keys.some((key) => plan.destination(key) !== undefined)).toBe(true);
      expect(plan.before).toEqual(['a', 'b', 'c']);
      expect(plan.after).toEqual(['a', 'b', 'c', 'd']);
    }
  });

  it('refuses a change that is not an object, or names nodes it cannot apply', () => {
    const sharder = new ConsistentHashSharder({ algorithm: 'maglev', nodes: ['a'], tableSize: 3 });
    for (const change of [null, undefined, 'a']) {
      expectInvalidOption(
        () => sharder.plan(change as never),
        'change',
        'an object with `add` and/or `remove`',
      );
    }
    expectInvalidOption(
      () => sharder.plan({ remove: ['a', 'a'] }),
      'change.remove[1]',
      'the id of a node in the sharder',
    );
    expectInvalidOption(
      () => sharder.plan({ add: ['b', 'b'] }),
      'change.add[1]',
      'an id not already in the sharder',
    );
    expectInvalidOption(
      () => sharder.plan({ add: ['b', 'c'] }),
      'change.add[1]',
      'a node beyond the limit of 2',
    );
    expectInvalidOption(
      () => sharder.plan({ add: [{ id: 'b', weight: -1 }] }),
      'change.add[0].weight',
      'a finite number > 0',
    );
    expect(sharder.plan({ remove: ['a'], add: ['b', 'c'] }).after).toEqual(['b', 'c']);
  });
});
