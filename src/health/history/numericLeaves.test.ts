import { describe, expect, it } from 'vitest';
import { numericLeaves } from './numericLeaves.js';

const leaves = (value: unknown): Record<string, number> => {
  const found: Record<string, number> = {};
  numericLeaves(value, (path, v) => {
    found[path] = v;
  });
  return found;
};

describe('numericLeaves', () => {
  it('finds every finite number and boolean by its dotted path, and nothing else', () => {
    expect(
      leaves({
        inUse: 3,
        closed: true,
        open: false,
        name: 'db',
        none: null,
        nan: Number.NaN,
        inf: Number.POSITIVE_INFINITY,
        tiers: [{ hits: 2 }, { hits: 5 }],
      }),
    ).toEqual({ inUse: 3, closed: 1, open: 0, 'tiers.0.hits': 2, 'tiers.1.hits': 5 });
  });

  it('takes no series for a bare number or boolean (no name to give it)', () => {
    expect(leaves(7)).toEqual({});
    expect(leaves(true)).toEqual({});
  });

  it('follows four levels of nesting and no deeper, so a cycle ends', () => {
    expect(leaves({ a: { b: { c: { d: 1, e: { f: 2 } } } } })).toEqual({ 'a.b.c.d': 1 });
    const cycle: Record<string, unknown> = { n: 1 };
    cycle.self = cycle;
    expect(leaves(cycle)).toEqual({ n: 1, 'self.n': 1, 'self.self.n': 1, 'self.self.self.n': 1 });
  });
});
