// The hash strategies beyond their examples: the sharder algorithm they are built on, the key
// they require, what `forget` resets, and where the bounded-load walk stops.
import { describe, expect, it } from 'vitest';
import { expectInvalidOption } from '../../test/helpers/expectInvalidOption.js';
import type { PickCandidate } from '../core/index.js';
import { ConsistentHashSharder } from '../sharding/index.js';
import { BoundedLoadHashPicker } from './BoundedLoadHashPicker.js';
import { ConsistentHashPicker } from './ConsistentHashPicker.js';

const candidate = (id: string, inFlight = 0, weight = 1): PickCandidate => ({ id, weight, inFlight });
const KEYS = Array.from({ length: 200 }, (_, i) => `key-${i}`);
const owners = (pick: (key: string) => PickCandidate | undefined) => KEYS.map((key) => pick(key)?.id);

describe.each([
  ['ConsistentHashPicker', (algorithm?: never) => new ConsistentHashPicker({ algorithm })],
  ['BoundedLoadHashPicker', (algorithm?: never) => new BoundedLoadHashPicker({ algorithm })],
] as const)('%s', (_name, make) => {
  const all = ['a', 'b', 'c', 'd'].map((id) => candidate(id));

  it.each(['ring', 'ketama', 'rendezvous', 'maglev'] as const)(
    'places keys as the %s sharder does',
    (algorithm) => {
      const picker = make(algorithm as never);
      const sharder = new ConsistentHashSharder({
        algorithm,
        nodes: all.map(({ id }) => ({ id, weight: 1 })),
      });
      expect(owners((key) => picker.pick(all, { key }))).toEqual(KEYS.map((key) => sharder.getNode(key)));
    },
  );

  it('uses the ring by default', () => {
    const sharder = new ConsistentHashSharder({ nodes: all.map(({ id }) => id) });
    const picker = make();
    expect(owners((key) => picker.pick(all, { key }))).toEqual(KEYS.map((key) => sharder.getNode(key)));
  });

  it('requires a string or finite number key, even with no candidates', () => {
    const picker = make();
    for (const key of [undefined, Number.NaN, Number.POSITIVE_INFINITY, {}, true]) {
      expectInvalidOption(
        () => picker.pick(all, { key: key as never }),
        'ctx.key',
        'a string or a finite number',
      );
    }
    expectInvalidOption(() => make().pick([]), 'ctx.key', 'a string or a finite number');
    expect(make().pick([], { key: 'k' })).toBeUndefined();
    expect(make().pick(all, { key: -1.5 })).toBeDefined();
  });

  it('forgets before any pick, and forgets unknown ids, without error', () => {
    const picker = make();
    picker.forget('a');
    expect(picker.pick(all, { key: 'k' })).toBeDefined();
    picker.forget('zz');
  });

  it('puts a forgotten candidate back on the ring when it is shown again', () => {
    const picker = make();
    const home = picker.pick(all, { key: 'user:7' });
    picker.forget(home?.id as string);
    expect(picker.pick(all, { key: 'user:7' })).toBe(home); // the same array, shown again
  });

  it('places a forgotten candidate that comes back with its new weight', () => {
    const picker = make();
    const even = [candidate('a'), candidate('b')];
    const share = () => owners((key) => picker.pick(even, { key })).filter((id) => id === 'a').length;
    expect(share()).toBeLessThan(140);
    picker.forget('a');
    const heavy = [candidate('a', 0, 9), candidate('b')];
    expect(owners((key) => picker.pick(heavy, { key })).filter((id) => id === 'a').length).toBeGreaterThan(
      160,
    );
  });

  it('validates its options', () => {
    expectInvalidOption(
      () => make('jump' as never),
      'options.algorithm',
      'one of "ring", "ketama", "rendezvous", "maglev"',
    );
    expectInvalidOption(() => new ConsistentHashPicker(1 as never), 'options', 'an object');
    expectInvalidOption(() => new BoundedLoadHashPicker(1 as never), 'options', 'an object');
  });
});

describe('BoundedLoadHashPicker bound', () => {
  it('defaults ε to 0.25, and rejects an ε that is not a finite number > 0', () => {
    expect(new BoundedLoadHashPicker().bound([candidate('a', 7), candidate('b')])).toBe(5); // ⌈1.25 × 8 / 2⌉
    expect(new BoundedLoadHashPicker({ epsilon: 1 }).bound([candidate('a', 7), candidate('b')])).toBe(8);
    expect(new BoundedLoadHashPicker().bound([candidate('a'), candidate('b'), candidate('c')])).toBe(1);
    for (const epsilon of [0, -1, Number.POSITIVE_INFINITY]) {
      expectInvalidOption(
        () => new BoundedLoadHashPicker({ epsilon }),
        'options.epsilon',
        'a finite number > 0',
      );
    }
  });

  it('walks on from an owner that is at the bound, and stays on one just under it', () => {
    const picker = new BoundedLoadHashPicker();
    const idle = [candidate('a'), candidate('b')];
    const key = KEYS.find((k) => picker.pick(idle, { key: k })?.id === 'a') as string;
    // Owner a with 2 in flight, b with 0: the bound is ⌈1.25 × 3 / 2⌉ = 2, which a is at.
    expect(picker.pick([candidate('a', 2), candidate('b')], { key })?.id).toBe('b');
    // Owner a with 1 in flight: the bound is ⌈1.25 × 2 / 2⌉ = 2, and a is under it.
    expect(picker.pick([candidate('a', 1), candidate('b')], { key })?.id).toBe('a');
  });
});
