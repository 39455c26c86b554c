import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HealthMonitor } from './HealthMonitor.js';
import type { HealthSample } from './HealthSample.js';

const QUIET: HealthSample = {
  eventLoopDelay: { p50: 0, p99: 0, max: 0, mean: 0 },
  eventLoopUtilization: 0,
  heapUsedBytes: 0,
  heapLimitBytes: 1,
  rssBytes: 0,
  cpuPercent: 0,
};
const DEGRADED = 100;
const CRITICAL = 300;

/** The level a p99 reaches against thresholds scaled by `scale` (1, or 1 − margin for recovery). */
const levelOf = (p99: number, scale: number): number =>
  p99 >= CRITICAL * scale ? 2 : p99 >= DEGRADED * scale ? 1 : 0;

describe('HealthMonitor hysteresis (property)', () => {
  it('moves only after enterAfter worse / recoverAfter calmer intervals in a row, to the bound of the run', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 450 }), { minLength: 1, maxLength: 60 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 4 }),
        fc.constantFrom(0, 0.1, 0.25),
        async (delays, enterAfter, recoverAfter, margin) => {
          let next = QUIET;
          const monitor = new HealthMonitor({
            intervalMs: 3_600_000,
            sampler: { sample: () => next },
            thresholds: {
              eventLoopDelayMs: { degraded: DEGRADED, critical: CRITICAL },
              eventLoopUtilization: false,
              heapUsedRatio: false,
            },
            hysteresis: { enterAfter, recoverAfter, margin },
          });
          try {
            let status = 0;
            // Samples since the last status change, as [level, recovery level].
            let run: [number, number][] = [];
            for (const p99 of delays) {
              next = { ...QUIET, eventLoopDelay: { p50: 0, p99, max: p99, mean: 0 } };
              const snapshot = await monitor.refresh();
              run.push([levelOf(p99, 1), levelOf(p99, 1 - margin)]);
              const trailing = (worse: boolean): [number, number][] => {
                const out: [number, number][] = [];
                for (let i = run.length - 1; i >= 0; i--) {
                  const [level, recovery] = run[i] as [number, number];
                  if (worse ? level > status : recovery < status) out.push([level, recovery]);
                  else break;
                }
                return out;
              };
              const up = trailing(true);
              const down = trailing(false);
              let expected = status;
              if (up.length >= enterAfter) expected = Math.min(...up.slice(0, enterAfter).map(([l]) => l));
              else if (down.length >= recoverAfter) {
                expected = Math.max(...down.slice(0, recoverAfter).map(([, r]) => r));
              }
              const actual = ['healthy', 'degraded', 'critical'].indexOf(snapshot.status);
              expect(actual).toBe(expected);
              if (enterAfter === 1) expect(actual).toBeGreaterThanOrEqual(levelOf(p99, 1));
              if (expected !== status) run = [];
              status = expected;
            }
          } finally {
            await monitor.destroy();
          }
        },
      ),
      { numRuns: 200, interruptAfterTimeLimit: 15_000, markInterruptAsFailure: true },
    );
  });
});
