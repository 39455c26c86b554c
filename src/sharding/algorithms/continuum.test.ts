import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildContinuum, continuumIndex, continuumPartition, mergeNode, removeNode } from './continuum.js';

const uint32 = fc.integer({ min: 0, max: 0xffffffff });
const nodePoints = fc.array(fc.array(uint32, { minLength: 1, maxLength: 300 }), {
  minLength: 1,
  maxLength: 6,
});

/** The definition: the first point >= hash (ties: the first-listed owner), wrapping to 0. */
function lowerBound(points: Uint32Array, hash: number): number {
  const at = points.findIndex((point) => point >= hash);
  return at === -1 ? 0 : at;
}

describe('continuum', () => {
  it('sorts points with their owners, ties to the first-listed node, and finds the owner of any hash', () => {
    fc.assert(
      fc.property(nodePoints, fc.array(uint32, { maxLength: 200 }), (perNode, hashes) => {
        const ids = perNode.map((_, i) => `n${i}`);
        const continuum = buildContinuum(ids, (i) => Uint32Array.from(perNode[i] as number[]));
        const expected = perNode
          .flatMap((points, owner) => points.map((point) => ({ point, owner })))
          .sort((a, b) => a.point - b.point || a.owner - b.owner);
        expect([...continuum.points]).toEqual(expected.map((e) => e.point));
        expect([...continuum.owners]).toEqual(expected.map((e) => e.owner));
        for (const hash of [...hashes, 0, 0xffffffff, ...perNode.flat()]) {
          expect(continuumIndex(continuum, hash)).toBe(lowerBound(continuum.points, hash));
        }
      }),
    );
  });

  it('partitions the 32-bit space at its points, the tail past the last point to the first', () => {
    const points = (...values: number[]) => Uint32Array.from(values);
    const open = continuumPartition(buildContinuum(['a', 'b'], (i) => (i === 0 ? points(5) : points(9))));
    expect(Array.from(open.ends)).toEqual([5, 9, 0xffffffff]);
    expect(open.owners).toEqual(['a', 'b', 'a']);
    // A point at the very top closes the space itself: no empty segment after it.
    const closed = continuumPartition(
      buildContinuum(['a', 'b'], (i) => (i === 0 ? points(5) : points(0xffffffff))),
    );
    expect(Array.from(closed.ends)).toEqual([5, 0xffffffff]);
    expect(closed.owners).toEqual(['a', 'b']);
    expect(closed).toMatchObject({ space: 'ring32', size: 2 ** 32 });
  });

  it('merging a node in and removing one out equal building from scratch', () => {
    fc.assert(
      fc.property(
        nodePoints,
        fc.array(uint32, { minLength: 1, maxLength: 300 }),
        fc.nat(),
        (perNode, extra, pick) => {
          const ids = perNode.map((_, i) => `n${i}`);
          const points = (i: number) => Uint32Array.from(perNode[i] as number[]);
          const merged = mergeNode(buildContinuum(ids, points), 'n~', Uint32Array.from(extra));
          const direct = buildContinuum([...ids, 'n~'], (i) =>
            i === ids.length ? Uint32Array.from(extra) : points(i),
          );
          expect([...merged.points]).toEqual([...direct.points]);
          expect([...merged.owners].map((o) => merged.ids[o])).toEqual(
            [...direct.owners].map((o) => direct.ids[o]),
          );
          const gone = ids[pick % ids.length] as string;
          const removed = removeNode(direct, gone);
          const rest = [...ids, 'n~'].filter((id) => id !== gone);
          const rebuilt = buildContinuum(rest, (i) => {
            const id = rest[i] as string;
            return id === 'n~' ? Uint32Array.from(extra) : points(Number(id.slice(1)));
          });
          expect([...removed.points]).toEqual([...rebuilt.points]);
          expect([...removed.owners].map((o) => removed.ids[o])).toEqual(
            [...rebuilt.owners].map((o) => rebuilt.ids[o]),
          );
          for (const hash of [0, 0xffffffff, ...extra]) {
            expect(continuumIndex(removed, hash)).toBe(lowerBound(removed.points, hash));
          }
        },
      ),
    );
  });
});
