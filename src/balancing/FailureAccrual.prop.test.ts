import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../testing/index.js';
import type { BackendLease } from './index.js';
import { LoadBalancer } from './LoadBalancer.js';
import { PowerOfTwoPicker } from './PowerOfTwoPicker.js';
import { RoundRobinPicker } from './RoundRobinPicker.js';

const op = fc.oneof(
  fc.record({ kind: fc.constant('acquire' as const) }),
  fc.record({
    kind: fc.constant('release' as const),
    which: fc.nat(),
    result: fc.constantFrom('success' as const, 'failure' as const, 'cancelled' as const),
  }),
  fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 1, max: 600 }) }),
);

// Whatever the requests, outcomes and timing: a backend failure accrual took out of the picks (its
// breaker open, or its one probe running) is never leased, and nothing but NoTargetError is thrown.
describe('LoadBalancer failure accrual (property)', () => {
  it('never leases a backend while its breaker keeps it out', () => {
    fc.assert(
      fc.property(
        fc.array(op, { maxLength: 150 }),
        fc.boolean(),
        fc.integer({ min: 1, max: 3 }),
        (ops, p2c, n) => {
          const clock = new FakeClock();
          const ids = ['a', 'b', 'c'].slice(0, n);
          const lb = new LoadBalancer({
            backends: ids.map((id) => ({ id, target: id })),
            strategy: p2c ? new PowerOfTwoPicker() : new RoundRobinPicker(),
            outlierDetection: false,
            failureAccrual: { breaker: { consecutiveFailures: 2, openDurationMs: 500 } },
            clock,
          });
          const out = new Set<string>();
          lb.on('backend:down', (e) => out.add(e.id));
          lb.on('backend:up', (e) => out.delete(e.id));
          const leases: BackendLease<string>[] = [];
          for (const step of ops) {
            if (step.kind === 'advance') clock.advance(step.ms);
            else if (step.kind === 'release') {
              const lease = leases.splice(step.which % Math.max(1, leases.length), 1)[0];
              lease?.release(step.result);
            } else {
              lb.stats(); // brings back the backends whose open time is over, as a pick does
              const before = new Set(out);
              let lease: BackendLease<string> | undefined;
              try {
                lease = lb.acquire();
              } catch (error) {
                expect(error).toMatchObject({ code: 'ERR_LOADSTONE_NO_TARGET' });
                expect(before.size).toBe(ids.length);
                continue;
              }
              expect(before.has(lease.backend.id)).toBe(false);
              leases.push(lease);
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
