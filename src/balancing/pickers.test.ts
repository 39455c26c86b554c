import { describe, expect, it } from 'vitest';
import { InvalidOptionError, type PickCandidate } from '../core/index.js';
import { seededRandom } from '../testing/seededRandom.js';
import { BoundedLoadHashPicker } from './BoundedLoadHashPicker.js';
import { ConsistentHashPicker } from './ConsistentHashPicker.js';
import { LeastConnectionsPicker } from './LeastConnectionsPicker.js';
import { LoadBalancer } from './LoadBalancer.js';
import { PeakEwmaPicker } from './PeakEwmaPicker.js';
import { PowerOfTwoPicker } from './PowerOfTwoPicker.js';
import { RandomPicker } from './RandomPicker.js';
import { RoundRobinPicker } from './RoundRobinPicker.js';
import { WeightedRandomPicker } from './WeightedRandomPicker.js';
import { WeightedRoundRobinPicker } from './WeightedRoundRobinPicker.js';

const candidate = (id: string, inFlight = 0, weight = 1, latencyMs?: number): PickCandidate => ({
  id,
  weight,
  inFlight,
  latencyMs,
});
const ids = (picked: (PickCandidate | undefined)[]) => picked.map((c) => c?.id).join(' ');

describe('RoundRobinPicker', () => {
  it('takes each backend in turn', () => {
    // #region roundRobin
    const lb = new LoadBalancer({
      backends: [
        { id: 'a', target: 'http://10.0.0.1' },
        { id: 'b', target: 'http://10.0.0.2' },
      ],
      strategy: new RoundRobinPicker(),
    });
    const order = [lb.pick(), lb.pick(), lb.pick()].map((b) => b.id); // ['a', 'b', 'a']
    // #endregion roundRobin
    expect(order).toEqual(['a', 'b', 'a']);
  });

  it('keeps one turn per group', () => {
    const picker = new RoundRobinPicker();
    const all = [candidate('a'), candidate('b'), candidate('c')];
    expect(ids([picker.pick(all), picker.pick(all, { group: 'g' }), picker.pick(all)])).toBe('a a b');
    expect(picker.pick([])).toBeUndefined();
  });
});

describe('WeightedRoundRobinPicker', () => {
  it("reproduces nginx's smooth sequence for weights {5, 1, 1}", () => {
    // #region weightedRoundRobin
    const lb = new LoadBalancer({
      backends: [
        { id: 'a', weight: 5, target: 'a.internal' },
        { id: 'b', weight: 1, target: 'b.internal' },
        { id: 'c', weight: 1, target: 'c.internal' },
      ],
      strategy: new WeightedRoundRobinPicker(),
    });
    const cycle = Array.from({ length: 7 }, () => lb.pick().id).join(' '); // 'a a b a c a a'
    // #endregion weightedRoundRobin
    expect(cycle).toBe('a a b a c a a');
    expect(Array.from({ length: 7 }, () => lb.pick().id).join(' ')).toBe('a a b a c a a');
  });

  it('forgets removed candidates and skips missing ones', () => {
    const picker = new WeightedRoundRobinPicker();
    const all = [candidate('a', 0, 2), candidate('b')];
    expect(ids([picker.pick(all), picker.pick(all), picker.pick(all)])).toBe('a b a');
    picker.forget('a');
    expect(ids([picker.pick([candidate('b')])])).toBe('b');
    expect(picker.pick([])).toBeUndefined();
  });
});

describe('RandomPicker and WeightedRandomPicker', () => {
  it('choose at random, with a seedable source', () => {
    // #region random
    const uniform = new RandomPicker({ random: () => 0.99 }); // e.g. a seeded PRNG in a simulation
    const lb = new LoadBalancer({
      backends: ['a', 'b', 'c'].map((id) => ({ id, target: id })),
      strategy: uniform,
    });
    const last = lb.pick().id; // 'c': 0.99 falls in the last third
    // #endregion random
    expect(last).toBe('c');
  });

  it('weighted random follows the weights', () => {
    // #region weightedRandom
    const lb = new LoadBalancer({
      backends: [
        { id: 'big', weight: 3, target: 'big' },
        { id: 'small', weight: 1, target: 'small' },
      ],
      strategy: new WeightedRandomPicker(),
    });
    let big = 0;
    for (let i = 0; i < 4000; i++) if (lb.pick().id === 'big') big++; // about 3000
    // #endregion weightedRandom
    expect(big).toBeGreaterThan(2800);
    expect(big).toBeLessThan(3200);
    const edge = new WeightedRandomPicker({ random: () => 1 });
    expect(edge.pick([candidate('a'), candidate('b')])?.id).toBe('b');
    expect(new RandomPicker({ random: () => 1 }).pick([candidate('a'), candidate('b')])?.id).toBe('b');
  });
});

describe('load-aware pickers', () => {
  it('least connections takes the least loaded, per weight', async () => {
    // #region leastConnections
    const lb = new LoadBalancer({
      backends: [
        { id: 'a', target: 'a' },
        { id: 'b', target: 'b' },
      ],
      strategy: new LeastConnectionsPicker(),
    });
    const slow = lb.acquire(); // one request in flight on one backend…
    const next = lb.pick(); // …so the next goes to the other
    slow.release();
    // #endregion leastConnections
    expect(next.id).not.toBe(slow.backend.id);
    const picker = new LeastConnectionsPicker({ random: seededRandom(1) });
    expect(picker.pick([candidate('a', 4, 4), candidate('b', 2, 1)])?.id).toBe('a');
    const tied = new Set<string>();
    for (let i = 0; i < 50; i++) tied.add(picker.pick([candidate('x'), candidate('y')])?.id ?? '');
    expect(tied).toEqual(new Set(['x', 'y']));
  });

  it('power of two choices takes the less loaded of two', () => {
    // #region powerOfTwo
    const p2c = new PowerOfTwoPicker();
    const choice = p2c.pick([
      { id: 'a', weight: 1, inFlight: 7 },
      { id: 'b', weight: 1, inFlight: 2 },
    ]); // b: with two candidates both are drawn, and b has fewer in flight
    // #endregion powerOfTwo
    expect(choice?.id).toBe('b');
    expect(p2c.pick([candidate('only')])?.id).toBe('only');
    expect(p2c.pick([])).toBeUndefined();
  });

  it('peak-EWMA compares latency × (in-flight + 1), and probes unmeasured backends', () => {
    // #region peakEwma
    const picker = new PeakEwmaPicker();
    picker.cost({ id: 'fast', weight: 1, inFlight: 3, latencyMs: 10 }); // 40
    picker.cost({ id: 'slow', weight: 1, inFlight: 0, latencyMs: 100 }); // 100
    picker.cost({ id: 'new', weight: 1, inFlight: 0 }); // 0: try it once…
    picker.cost({ id: 'new', weight: 1, inFlight: 1 }); // 1_000_000_001: …but one at a time
    // #endregion peakEwma
    expect(picker.cost(candidate('fast', 3, 1, 10))).toBe(40);
    expect(picker.cost(candidate('new'))).toBe(0);
    expect(picker.cost(candidate('new', 1))).toBe(1e9 + 1);
    expect(picker.cost(candidate('w', 1, 2, 10))).toBe(10);
    expect(new PeakEwmaPicker({ penaltyMs: 5 }).cost(candidate('new', 2))).toBe(7);
    const pair = [candidate('slow', 0, 1, 100), candidate('fast', 3, 1, 10)];
    expect(picker.pick(pair)?.id).toBe('fast');
  });
});

describe('hash pickers', () => {
  it('consistent hashing keeps a key on its backend, and moves it only when that one is down', () => {
    // #region consistentHash
    const lb = new LoadBalancer({
      backends: ['cache-1', 'cache-2', 'cache-3'].map((id) => ({ id, target: id })),
      strategy: new ConsistentHashPicker(),
    });
    const home = lb.pick({ key: 'user:42' }).id; // always the same backend for this key
    lb.markDown(home);
    const fallback = lb.pick({ key: 'user:42' }).id; // the next one on the ring
    lb.markUp(home); // and back home
    // #endregion consistentHash
    expect(lb.pick({ key: 'user:42' }).id).toBe(home);
    expect(fallback).not.toBe(home);
    for (let i = 0; i < 20; i++) expect(lb.pick({ key: 'user:42' }).id).toBe(home);
    expect(() => lb.pick()).toThrow(InvalidOptionError);
    lb.remove(home);
    expect(lb.pick({ key: 'user:42' }).id).toBe(fallback);
  });

  it('bounded loads walk on from an owner at the bound', () => {
    // #region boundedLoad
    const picker = new BoundedLoadHashPicker({ epsilon: 0.25 });
    const lb = new LoadBalancer({
      backends: ['a', 'b', 'c', 'd'].map((id) => ({ id, target: id })),
      strategy: picker,
    });
    // One hot key: its owner takes requests up to ⌈1.25 × mean⌉, then the ring's next ones do.
    const leases = Array.from({ length: 8 }, () => lb.acquire({ key: 'hot' }));
    const perBackend = lb.stats().backends.map((b) => b.inFlight); // none above ⌈1.25 × 8 / 4⌉ = 3
    // #endregion boundedLoad
    expect(Math.max(...perBackend)).toBeLessThanOrEqual(3);
    expect(perBackend.reduce((a, b) => a + b, 0)).toBe(8);
    for (const lease of leases) lease.release();
    expect(picker.bound([candidate('a', 3), candidate('b', 0)])).toBe(3);
    expect(picker.pick([], { key: 'k' })).toBeUndefined();
    picker.forget('a');
    picker.forget('nope');
  });

  it('accept the other sharder algorithms, and validate options', () => {
    for (const algorithm of ['ketama', 'rendezvous', 'maglev'] as const) {
      const picker = new ConsistentHashPicker({ algorithm });
      const all = [candidate('a'), candidate('b')];
      const first = picker.pick(all, { key: 7 });
      expect(picker.pick(all, { key: 7 })).toBe(first);
    }
    expect(() => new ConsistentHashPicker({ algorithm: 'jump' as never })).toThrow(InvalidOptionError);
    expect(() => new BoundedLoadHashPicker({ epsilon: 0 })).toThrow(InvalidOptionError);
  });
});
