// A real HealthMonitor on the real ProcessSampler: a 500 ms synchronous block is reported by the
// first sample after it (within one 1 s interval), and the status recovers only after the
// documented number of calm intervals. Synchronised on the monitor's events, never on sleeps.
import { once } from 'node:events';
import { afterEach, expect, it } from 'vitest';
import type { HealthSnapshot, HealthStatusChangedEvent } from '../../src/health/index.js';
import { HealthMonitor } from '../../src/health/index.js';

const monitors: HealthMonitor[] = [];
afterEach(async () => {
  await Promise.all(monitors.splice(0).map((m) => m.close()));
});

function blockFor(ms: number): number {
  const start = performance.now();
  while (performance.now() - start < ms) {
    // a synchronous block: nothing else runs on this thread
  }
  return performance.now() - start;
}

it('reports a 500 ms synchronous block in the first sample after it, then recovers after 3 calm intervals', async () => {
  const monitor = new HealthMonitor({ intervalMs: 1000, hysteresis: { recoverAfter: 3 } });
  monitors.push(monitor);
  // Nothing else keeps this process's loop busy; the interval timer is unref'd, so keep the
  // test's own loop alive with the pending `once` promises below.
  const [first] = (await once(monitor, 'snapshot:taken')) as [HealthSnapshot];
  expect(first.samples).toBe(1);

  const changed = once(monitor, 'status:changed') as Promise<[HealthStatusChangedEvent]>;
  const next = once(monitor, 'snapshot:taken') as Promise<[HealthSnapshot]>;
  const blockedMs = blockFor(500);
  const [change] = await changed;
  const [after] = await next;

  // The change came with the very next sample: reported within one interval.
  expect(change.snapshot.samples).toBe(first.samples + 1);
  expect(after.samples).toBe(first.samples + 1);
  expect(change).toMatchObject({ previous: 'healthy', status: 'critical' });
  expect(change.snapshot.eventLoopDelay.max).toBeGreaterThanOrEqual(400);
  expect(change.snapshot.eventLoopDelay.p99).toBeGreaterThanOrEqual(400);
  expect(change.snapshot.eventLoopDelay.max).toBeLessThanOrEqual(blockedMs + 500);
  expect(change.snapshot.reasons.some((r) => r.startsWith('event loop delay p99'))).toBe(true);
  // The loop was busy for the whole block, within the sample's window: utilisation × window
  // covers it, however long a loaded machine stretched that window (no fixed share).
  expect(change.snapshot.eventLoopUtilization * (change.snapshot.at - first.at)).toBeGreaterThanOrEqual(
    blockedMs - 10,
  );
  expect(change.snapshot.eventLoopUtilization).toBeLessThanOrEqual(1);
  expect(monitor.status).toBe('critical');

  const [recovered] = (await once(monitor, 'status:changed')) as [HealthStatusChangedEvent];
  expect(recovered).toMatchObject({ previous: 'critical', status: 'healthy' });
  // Hysteresis: at least 3 calm samples after the one that saw the block.
  expect(recovered.snapshot.samples).toBeGreaterThanOrEqual(change.snapshot.samples + 3);
  expect(recovered.snapshot.reasons).toEqual([]);
  expect(JSON.parse(JSON.stringify(recovered.snapshot))).toEqual(recovered.snapshot);
});

it('samples real process figures: heap, limit, RSS, CPU during a busy interval', async () => {
  const monitor = new HealthMonitor({ intervalMs: 300, thresholds: { eventLoopDelayMs: false } });
  monitors.push(monitor);
  const [first] = (await once(monitor, 'snapshot:taken')) as [HealthSnapshot];
  const next = once(monitor, 'snapshot:taken') as Promise<[HealthSnapshot]>;
  const blockedMs = blockFor(200);
  const [busy] = await next;
  expect(busy.heapUsedBytes).toBeGreaterThan(0);
  expect(busy.heapLimitBytes).toBeGreaterThan(busy.heapUsedBytes);
  expect(busy.rssBytes).toBeGreaterThan(busy.heapUsedBytes);
  // 200 ms of spinning in the window: some CPU (how much depends on the machine's load), and
  // a loop busy for at least the block, whatever the window's length.
  expect(busy.cpuPercent).toBeGreaterThan(0);
  expect(busy.eventLoopUtilization * (busy.at - first.at)).toBeGreaterThanOrEqual(blockedMs - 10);
  expect(busy.eventLoopUtilization).toBeLessThanOrEqual(1);
});
