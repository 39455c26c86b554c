// Invariants of every strategy, through the LoadBalancer, over random sequences of membership
// changes, state changes, requests and outcomes; and the fairness and bound properties of the
// strategies that promise them.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NoTargetError, type PickCandidate, type Picker } from '../core/index.js';
import { FakeClock } from '../testing/index.js';
import { seededRandom } from '../testing/seededRandom.js';
import type { BackendCandidate, BackendLease } from './index.js';
import {
  BoundedLoadHashPicker,
  ConsistentHashPicker,
  LeastConnectionsPicker,
  LoadBalancer,
  PeakEwmaPicker,
  PowerOfTwoPicker,
  RandomPicker,
  RoundRobinPicker,
  WeightedRandomPicker,
  WeightedRoundRobinPicker,
} from './index.js';

const STRATEGIES: Record<string, (seed: number) => Picker<BackendCandidate<string>>> = {
  roundRobin: () => new RoundRobinPicker(),
  weightedRoundRobin: () => new WeightedRoundRobinPicker(),
  random: (seed) => new RandomPicker({ random: seededRandom(seed) }),
  weightedRandom: (seed) => new WeightedRandomPicker({ random: seededRandom(seed) }),
  leastConnections: (seed) => new LeastConnectionsPicker({ random: seededRandom(seed) }),
  powerOfTwo: (seed) => new PowerOfTwoPicker({ random: seededRandom(seed) }),
  peakEwma: (seed) => new PeakEwmaPicker({ random: seededRandom(seed) }),
  consistentHash: () => new ConsistentHashPicker(),
  boundedLoad: () => new BoundedLoadHashPicker({ epsilon: 0.5 }),
};

const ID = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f');
const op = fc.oneof(
  fc.record({
    kind: fc.constant('add' as const),
    id: ID,
    weight: fc.integer({ min: 1, max: 4 }),
    premium: fc.boolean(),
  }),
  fc.record({ kind: fc.constant('remove' as const), id: ID }),
  fc.record({ kind: fc.constant('down' as const), id: ID }),
  fc.record({ kind: fc.constant('up' as const), id: ID }),
  fc.record({
    kind: fc.constant('acquire' as const),
    key: fc.integer({ min: 0, max: 50 }),
    premium: fc.boolean(),
    exclude: fc.subarray(['a', 'b', 'c', 'd', 'e', 'f']),
  }),
  fc.record({
    kind: fc.constant('release' as const),
    index: fc.nat(),
    result: fc.constantFrom('success' as const, 'failure' as const, 'cancelled' as const),
    latencyMs: fc.integer({ min: 0, max: 500 }),
  }),
  fc.record({ kind: fc.constant('tick' as const), ms: fc.integer({ min: 0, max: 3_000 }) }),
);

describe('every strategy', () => {
  it.each(Object.keys(STRATEGIES))('%s only ever returns live backends, avoiding excluded ones', (name) => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 120 }), fc.integer(), (ops, seed) => {
        const clock = new FakeClock();
        const lb = new LoadBalancer<string>({
          backends: [{ id: 'a', target: 'a' }],
          strategy: (STRATEGIES[name] as (seed: number) => Picker<BackendCandidate<string>>)(seed),
          outlierDetection: { consecutiveFailures: 2, baseEjectionMs: 1_000, maxEjectionPercent: 60 },
          clock,
        });
        const members = new Map<string, { down: boolean; premium: boolean }>([
          ['a', { down: false, premium: false }],
        ]);
        const leases: BackendLease<string>[] = [];
        for (const o of ops) {
          if (o.kind === 'add' && !members.has(o.id)) {
            lb.add({ id: o.id, target: o.id, weight: o.weight, groups: o.premium ? ['premium'] : [] });
            members.set(o.id, { down: false, premium: o.premium });
          } else if (o.kind === 'remove' && members.has(o.id)) {
            lb.remove(o.id);
            members.delete(o.id);
          } else if ((o.kind === 'down' || o.kind === 'up') && members.has(o.id)) {
            if (o.kind === 'down') lb.markDown(o.id);
            else lb.markUp(o.id);
            (members.get(o.id) as { down: boolean }).down = o.kind === 'down';
          } else if (o.kind === 'tick') {
            clock.advance(o.ms);
          } else if (o.kind === 'release' && leases.length > 0) {
            const [lease] = leases.splice(o.index % leases.length, 1);
            clock.advance(o.latencyMs);
            lease?.release(o.result);
          } else if (o.kind === 'acquire') {
            const live = [...members].filter(([id, m]) => !m.down && lb.stateOf(id) === 'up');
            const ctx = { key: o.key, exclude: o.exclude, ...(o.premium ? { group: 'premium' } : {}) };
            if (live.length === 0) {
              expect(() => lb.acquire(ctx)).toThrow(NoTargetError);
              continue;
            }
            const lease = lb.acquire(ctx);
            const id = lease.backend.id;
            expect(live.map(([liveId]) => liveId)).toContain(id);
            const preferred = o.premium && live.some(([, m]) => m.premium);
            if (preferred) expect(members.get(id)?.premium).toBe(true);
            // An excluded backend is chosen only when every preferred one is excluded.
            const pool = live.filter(([, m]) => !preferred || m.premium).map(([liveId]) => liveId);
            if (pool.some((liveId) => !o.exclude.includes(liveId))) expect(o.exclude).not.toContain(id);
            leases.push(lease);
          }
        }
        for (const lease of leases) lease.release();
        expect(lb.stats().inFlight).toBe(0);
      }),
      { numRuns: 60 },
    );
  });
});

const candidates = (weights: readonly number[]): PickCandidate[] =>
  weights.map((weight, i) => ({ id: `n${i}`, weight, inFlight: 0 }));
const count = (picker: Picker, list: readonly PickCandidate[], picks: number): Map<string, number> => {
  const counts = new Map<string, number>();
  for (let i = 0; i < picks; i++) {
    const id = picker.pick(list)?.id ?? '';
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
};

describe('fairness', () => {
  it('round-robin is exactly fair: k × n picks give each candidate k', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 20 }),
        fc.nat(30),
        (n, k, warm) => {
          const picker = new RoundRobinPicker();
          const list = candidates(Array.from({ length: n }, () => 1));
          count(picker, list, warm); // from any starting turn
          const counts = count(picker, list, k * n);
          for (const c of list) expect(counts.get(c.id)).toBe(k);
        },
      ),
    );
  });

  it('smooth weighted round-robin gives each candidate exactly its weight per cycle', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 1, max: 4 }),
        (weights, cycles) => {
          const picker = new WeightedRoundRobinPicker();
          const list = candidates(weights);
          const total = weights.reduce((a, b) => a + b, 0);
          const counts = count(picker, list, total * cycles);
          list.forEach((c, i) => {
            expect(counts.get(c.id) ?? 0).toBe((weights[i] as number) * cycles);
          });
        },
      ),
    );
  });

  it('weighted random converges to the weights', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 2, maxLength: 6 }),
        fc.integer(),
        (weights, seed) => {
          const picker = new WeightedRandomPicker({ random: seededRandom(seed) });
          const list = candidates(weights);
          const total = weights.reduce((a, b) => a + b, 0);
          const picks = 20_000;
          const counts = count(picker, list, picks);
          list.forEach((c, i) => {
            const p = (weights[i] as number) / total;
            const sigma = Math.sqrt(picks * p * (1 - p));
            expect(Math.abs((counts.get(c.id) ?? 0) - picks * p)).toBeLessThan(6 * sigma + 1);
          });
        },
      ),
      { numRuns: 30 },
    );
  });
});

describe('bounded loads', () => {
  it('never places a request on a backend over ⌈(1 + ε) × mean⌉ in flight', () => {
    const step = fc.oneof(
      fc.record({
        acquire: fc.constant(true as const),
        key: fc.oneof(fc.constant('hot'), fc.string({ maxLength: 4 })),
      }),
      fc.record({ acquire: fc.constant(false as const), index: fc.nat() }),
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.double({ min: 0.01, max: 2, noNaN: true }),
        fc.array(step, { maxLength: 200 }),
        (n, epsilon, steps) => {
          const lb = new LoadBalancer({
            backends: Array.from({ length: n }, (_, i) => ({ id: `b${i}`, target: i })),
            strategy: new BoundedLoadHashPicker({ epsilon }),
          });
          const leases: BackendLease<number>[] = [];
          for (const s of steps) {
            if (s.acquire) {
              const lease = lb.acquire({ key: s.key });
              leases.push(lease);
              const stats = lb.stats();
              const bound = Math.ceil(((1 + epsilon) * stats.inFlight) / n);
              const placed = stats.backends.find((b) => b.id === lease.backend.id);
              expect(placed?.inFlight).toBeLessThanOrEqual(bound);
            } else if (leases.length > 0) {
              leases.splice(s.index % leases.length, 1)[0]?.release();
            }
          }
        },
      ),
      { numRuns: 100 },
    );
  });
});
