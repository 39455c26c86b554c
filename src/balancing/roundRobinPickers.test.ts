// Edge behaviour of the round-robin strategies: what advances the turn, how affinity groups
// share or split their state, and what `forget` resets.
import { describe, expect, it } from 'vitest';
import type { PickCandidate } from '../core/index.js';
import { RoundRobinPicker } from './RoundRobinPicker.js';
import { WeightedRoundRobinPicker } from './WeightedRoundRobinPicker.js';

const candidate = (id: string, weight = 1): PickCandidate => ({ id, weight, inFlight: 0 });
const ids = (picked: (PickCandidate | undefined)[]) => picked.map((c) => c?.id ?? '-').join(' ');

describe('RoundRobinPicker turns', () => {
  const all = [candidate('a'), candidate('b'), candidate('c')];

  it('does not use up a turn on an empty list', () => {
    const picker = new RoundRobinPicker();
    expect(ids([picker.pick(all), picker.pick([]), picker.pick(all)])).toBe('a - b');
  });

  it('keeps one turn per group, each starting at the first candidate', () => {
    const picker = new RoundRobinPicker();
    const picks = [
      picker.pick(all, { group: 'g' }),
      picker.pick(all, { group: 'h' }),
      picker.pick(all, { group: 'g' }),
      picker.pick(all, { group: 'h' }),
    ];
    expect(ids(picks)).toBe('a a b b');
  });

  it('counts a context without a group, or with the empty group, as the default group', () => {
    const picker = new RoundRobinPicker();
    expect(ids([picker.pick(all), picker.pick(all, {}), picker.pick(all, { group: '' })])).toBe('a b c');
  });

  it('wraps the turn around the candidates', () => {
    const picker = new RoundRobinPicker();
    expect(ids(Array.from({ length: 7 }, () => picker.pick(all)))).toBe('a b c a b c a');
    expect(ids([picker.pick([candidate('x'), candidate('y')])])).toBe('y'); // turn 7 of 2
  });
});

describe('WeightedRoundRobinPicker state', () => {
  it('keeps separate state per group, the empty group being the default one', () => {
    const all = [candidate('a', 2), candidate('b')];
    const picker = new WeightedRoundRobinPicker();
    expect(ids([picker.pick(all, { group: 'g' }), picker.pick(all, { group: 'h' })])).toBe('a a');
    expect(ids([picker.pick(all), picker.pick(all, { group: '' }), picker.pick(all, {})])).toBe('a b a');
  });

  it('starts a forgotten candidate afresh when it comes back', () => {
    const picker = new WeightedRoundRobinPicker();
    expect(picker.pick([candidate('a', 3), candidate('b')])?.id).toBe('a'); // a: 3 - 4 = -1
    picker.forget('a');
    // Afresh, a (3) beats b (1 + 1); had a kept its -1, it would tie b at 2 and lose to it.
    expect(picker.pick([candidate('b'), candidate('a', 3)])?.id).toBe('a');
  });

  it('forgets a candidate in every group', () => {
    const picker = new WeightedRoundRobinPicker();
    expect(picker.pick([candidate('a', 3), candidate('b')], { group: 'g' })?.id).toBe('a');
    picker.forget('a');
    picker.forget('unknown');
    expect(picker.pick([candidate('b'), candidate('a', 3)], { group: 'g' })?.id).toBe('a');
  });

  it('breaks a tie of current weights in favour of the first candidate', () => {
    const picker = new WeightedRoundRobinPicker();
    expect(
      ids([picker.pick([candidate('x'), candidate('y')]), picker.pick([candidate('x'), candidate('y')])]),
    ).toBe('x y');
  });
});
