// Every process's view converges on the truth: whatever joins and leaves happen in whatever
// processes, and whatever messages a partition loses, after it heals and one heartbeat passes
// every view lists exactly the ids some process holds.
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { partitionBus, settle } from '../../test/helpers/partitionBus.js';
import { InProcessBus } from '../core/InProcessBus.js';
import { Presence } from './Presence.js';

const PROCESSES = 3;
const op = fc.oneof(
  fc.record({
    kind: fc.constant('join' as const),
    at: fc.nat(PROCESSES - 1),
    id: fc.constantFrom('a', 'b', 'c', '__proto__'),
  }),
  fc.record({
    kind: fc.constant('leave' as const),
    at: fc.nat(PROCESSES - 1),
    id: fc.constantFrom('a', 'b', 'c', '__proto__'),
  }),
  fc.record({ kind: fc.constant('cut' as const), at: fc.nat(PROCESSES - 1), on: fc.boolean() }),
  fc.record({ kind: fc.constant('settle' as const) }),
);

describe('Presence views converge', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'performance'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('after any joins, leaves and lost messages, a heartbeat after healing makes every view exact', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 40 }), async (ops) => {
        const bus = new InProcessBus();
        const doors = Array.from({ length: PROCESSES }, () => partitionBus(bus));
        const all = doors.map((d) => new Presence({ bus: d, heartbeatMs: 1_000, ttlMs: 60_000 }));
        await settle();
        const held = all.map(() => new Map<string, number>());
        try {
          for (const o of ops) {
            if (o.kind === 'settle') await settle();
            else if (o.kind === 'cut') (doors[o.at] as { cut: boolean }).cut = o.on;
            else if (o.kind === 'join') {
              await (all[o.at] as Presence).join(o.id);
              const h = held[o.at] as Map<string, number>;
              h.set(o.id, (h.get(o.id) ?? 0) + 1);
            } else {
              await (all[o.at] as Presence).leave(o.id);
              const h = held[o.at] as Map<string, number>;
              const n = h.get(o.id) ?? 0;
              if (n <= 1) h.delete(o.id);
              else h.set(o.id, n - 1);
            }
          }
          for (const d of doors) d.cut = false;
          await settle();
          vi.advanceTimersByTime(1_000); // heartbeats: every gap is noticed and repaired
          await settle();
          const truth = [...new Set(held.flatMap((h) => [...h.keys()]))].sort();
          for (const p of all)
            expect(
              p
                .list()
                .map((e) => e.id)
                .sort(),
            ).toEqual(truth);
        } finally {
          await Promise.all(all.map((p) => p.destroy()));
        }
      }),
      { numRuns: 150 },
    );
  });
});
