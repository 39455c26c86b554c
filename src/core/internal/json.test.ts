// The JSON check behind the buses and stores: where the first problem is, and its bounds (nodes
// visited, depth) exactly at and past their limits.
import { describe, expect, it } from 'vitest';
import { InvalidOptionError } from '../errors/index.js';
import { assertJson, findJsonProblem } from './json.js';

/** An array nested `depth` levels (the innermost holds `leaf`). */
function nested(depth: number, leaf: unknown = 1): unknown {
  let value = leaf;
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

describe('findJsonProblem', () => {
  it('counts every value it visits against maxNodes', () => {
    const value = { a: [1, 2] }; // four values: the object, the array, 1, 2
    expect(findJsonProblem(value, 4)).toBeUndefined();
    expect(findJsonProblem(value, 3)).toEqual({ path: ['a', 1], value: 2, reason: 'size' });
  });

  it('allows 512 levels of nesting and refuses the 513th', () => {
    expect(findJsonProblem(nested(512), Number.MAX_SAFE_INTEGER)).toBeUndefined();
    const problem = findJsonProblem(nested(513), Number.MAX_SAFE_INTEGER);
    expect(problem?.reason).toBe('size');
    expect(problem?.path).toEqual(Array.from({ length: 513 }, () => 0));
  });

  it('names where the problem is', () => {
    expect(findJsonProblem({ stats: { rate: Number.NaN } }, 100)).toEqual({
      path: ['stats', 'rate'],
      value: Number.NaN,
      reason: 'type',
    });
    // biome-ignore lint/suspicious/noSparseArray: a hole is what is tested
    expect(findJsonProblem({ list: [1, , 3] }, 100)).toEqual({
      path: ['list', 1],
      value: undefined,
      reason: 'type',
    });
    const when = new Date(0);
    expect(findJsonProblem({ at: [{ when }] }, 100)).toEqual({
      path: ['at', 0, 'when'],
      value: when,
      reason: 'type',
    });
  });

  it('accepts objects without a prototype and skips undefined properties', () => {
    const bare = Object.assign(Object.create(null) as Record<string, unknown>, { a: 1, b: undefined });
    expect(findJsonProblem(bare, 100)).toBeUndefined();
  });
});

describe('assertJson', () => {
  it('says how deep a message may nest', () => {
    let caught: unknown;
    try {
      assertJson({ deep: nested(600) });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidOptionError);
    expect((caught as InvalidOptionError).expected).toBe('nested at most 512 levels deep');
    expect((caught as InvalidOptionError).option).toMatch(/^message\.deep(\[0\]){512}$/);
  });
});
