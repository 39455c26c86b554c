// The randomised strategies with a scripted random source: which draw picks which candidate, how
// ties are broken and how weights and load enter, plus their option validation.
import { describe, expect, it } from 'vitest';
import { expectInvalidOption } from '../../test/helpers/expectInvalidOption.js';
import type { PickCandidate } from '../core/index.js';
import { LeastConnectionsPicker } from './LeastConnectionsPicker.js';
import { PeakEwmaPicker } from './PeakEwmaPicker.js';
import { PowerOfTwoPicker } from './PowerOfTwoPicker.js';
import { RandomPicker } from './RandomPicker.js';
import { WeightedRandomPicker } from './WeightedRandomPicker.js';

const candidate = (id: string, inFlight = 0, weight = 1, latencyMs?: number): PickCandidate => ({
  id,
  weight,
  inFlight,
  latencyMs,
});
/** A random source that returns `values` in turn, forever. */
const scripted = (...values: number[]) => {
  let i = 0;
  return () => values[i++ % values.length] as number;
};

describe('RandomPicker', () => {
  const abc = [candidate('a'), candidate('b'), candidate('c')];

  it('maps [0, 1) evenly onto the candidates', () => {
    const pickWith = (r: number) => new RandomPicker({ random: () => r }).pick(abc)?.id;
    expect([0, 0.33, 0.34, 0.5, 0.66, 0.67, 0.99].map(pickWith)).toEqual(['a', 'a', 'b', 'b', 'b', 'c', 'c']);
    expect(new RandomPicker({ random: () => 0 }).pick([])).toBeUndefined();
  });
});

describe('WeightedRandomPicker', () => {
  it('maps [0, 1) onto the candidates in proportion to their weights', () => {
    const all = [candidate('a', 0, 3), candidate('b', 0, 1)];
    const pickWith = (r: number) => new WeightedRandomPicker({ random: () => r }).pick(all)?.id;
    expect([0, 0.5, 0.74, 0.75, 0.99].map(pickWith)).toEqual(['a', 'a', 'a', 'b', 'b']);
    expect(new WeightedRandomPicker({ random: () => 0.5 }).pick([candidate('x'), candidate('y')])?.id).toBe(
      'y',
    );
    expect(new WeightedRandomPicker({ random: () => 0 }).pick([])).toBeUndefined();
  });
});

describe('LeastConnectionsPicker', () => {
  it('keeps each of k tied candidates with probability 1/k (reservoir sampling)', () => {
    const tied = [candidate('x'), candidate('y'), candidate('z')];
    // The second tie replaces the first when random() × 2 < 1, the third when random() × 3 < 1.
    expect(new LeastConnectionsPicker({ random: () => 0.99 }).pick(tied)?.id).toBe('x');
    expect(new LeastConnectionsPicker({ random: () => 0.5 }).pick(tied)?.id).toBe('x');
    expect(new LeastConnectionsPicker({ random: () => 0.4 }).pick(tied)?.id).toBe('y');
    expect(new LeastConnectionsPicker({ random: () => 0.3 }).pick(tied)?.id).toBe('z');
  });

  it('never lets a more loaded candidate win, however the draw falls', () => {
    const picker = new LeastConnectionsPicker({ random: () => 0 });
    expect(picker.pick([candidate('a', 0), candidate('b', 5), candidate('c', 1)])?.id).toBe('a');
    expect(picker.pick([candidate('a', 3), candidate('b', 1), candidate('c', 2)])?.id).toBe('b');
    expect(picker.pick([])).toBeUndefined();
  });
});

describe('PowerOfTwoPicker', () => {
  it('draws two distinct candidates and keeps the first drawn on a tie', () => {
    const picker = new PowerOfTwoPicker({ random: () => 0 }); // draws index 0, then index 1
    expect(picker.pick([candidate('a'), candidate('b')])?.id).toBe('a');
    expect(picker.pick([candidate('busy', 5), candidate('idle')])?.id).toBe('idle');
  });

  it('draws the second candidate among the others', () => {
    // 0.99 draws index 2 of 3, then index 1 of the 2 others: c against b.
    const picker = new PowerOfTwoPicker({ random: () => 0.99 });
    expect(picker.pick([candidate('a'), candidate('b', 3), candidate('c', 1)])?.id).toBe('c');
    expect(picker.pick([candidate('a'), candidate('b', 1), candidate('c', 3)])?.id).toBe('b');
    // 0.5 then 0: index 1, then index 0 of the others: b against a.
    const mid = new PowerOfTwoPicker({ random: scripted(0.5, 0) });
    expect(mid.pick([candidate('a', 1), candidate('b', 2), candidate('c')])?.id).toBe('a');
  });

  it('divides the load by the weight', () => {
    const picker = new PowerOfTwoPicker({ random: () => 0 });
    expect(picker.pick([candidate('big', 4, 4), candidate('small', 2, 1)])?.id).toBe('big');
  });
});

describe('PeakEwmaPicker', () => {
  it('picks the cheaper of the two candidates drawn', () => {
    const slowThenFast = [candidate('slow', 0, 1, 100), candidate('fast', 3, 1, 10)];
    expect(new PeakEwmaPicker({ random: () => 0 }).pick(slowThenFast)?.id).toBe('fast');
    expect(new PeakEwmaPicker({ random: () => 0.99 }).pick(slowThenFast)?.id).toBe('fast');
    const only = candidate('only', 9, 1, 1_000);
    expect(new PeakEwmaPicker().pick([only])).toBe(only);
    expect(new PeakEwmaPicker().pick([])).toBeUndefined();
  });

  it('divides the penalty of a busy unmeasured candidate by its weight', () => {
    expect(new PeakEwmaPicker({ penaltyMs: 10 }).cost(candidate('new', 2, 4))).toBe(3);
    expect(new PeakEwmaPicker({ penaltyMs: 0 }).cost(candidate('new', 2))).toBe(2);
  });
});

describe('randomised pickers: options', () => {
  const classes = {
    RandomPicker,
    WeightedRandomPicker,
    LeastConnectionsPicker,
    PowerOfTwoPicker,
    PeakEwmaPicker,
  };
  it.each(Object.entries(classes))('%s validates its options', (_name, Picker) => {
    expectInvalidOption(() => new Picker({ random: 1 as never }), 'options.random', 'a function');
    expectInvalidOption(() => new Picker(1 as never), 'options', 'an object');
    expect(new Picker().pick([candidate('a')])?.id).toBe('a'); // Math.random by default
  });

  it('PeakEwmaPicker rejects a negative or non-finite penalty', () => {
    expectInvalidOption(
      () => new PeakEwmaPicker({ penaltyMs: -1 }),
      'options.penaltyMs',
      'a finite number >= 0',
    );
    expectInvalidOption(
      () => new PeakEwmaPicker({ penaltyMs: Number.POSITIVE_INFINITY }),
      'options.penaltyMs',
      'a finite number >= 0',
    );
  });
});
