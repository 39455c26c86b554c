import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ClusterHistory } from './ClusterHistory.js';
import type { WorkerStats } from './ClusterStats.js';
import type { ClusterSupervisorEvents } from './events.js';

const worker = (slot: string, pid: number, over: Partial<WorkerStats> = {}): WorkerStats => ({
  slot,
  id: pid,
  pid,
  state: 'ready',
  uptimeMs: 1_000,
  restarts: 0,
  rssBytes: 100,
  heapUsedBytes: 50,
  eventLoopDelayMs: 1,
  eventLoopDelayP99Ms: 2,
  eventLoopUtilization: 0.5,
  requestsInFlight: 1,
  requestsTotal: 0,
  connections: 3,
  connectionsRefused: 0,
  lastHeartbeatAgeMs: 10,
  ...over,
});

afterEach(() => {
  vi.useRealTimers();
});

describe('ClusterHistory', () => {
  it('keeps each slot from heartbeats (the rate from request counts), the cluster from every worker, and marks', () => {
    vi.useFakeTimers({ now: 10_000 });
    const events = new EventEmitter<ClusterSupervisorEvents>();
    let workers = [
      worker('w0', 1),
      worker('w1', 2, { rssBytes: 300, eventLoopDelayP99Ms: 9, eventLoopUtilization: 0.1 }),
    ];
    const cluster = new ClusterHistory({ intervalMs: 1_000, capacity: 100 }, () => workers, events);
    const { history } = cluster;
    cluster.heartbeat(worker('w0', 1, { requestsTotal: 100 }));
    vi.advanceTimersByTime(500);
    cluster.heartbeat(worker('w0', 1, { requestsTotal: 150 }));
    cluster.heartbeat(worker('w0', 9, { state: 'draining', rssBytes: 999 })); // a draining old worker: left out
    vi.advanceTimersByTime(500); // the cluster-wide sample
    expect(history.snapshot().series['w0.requestsPerSecond']?.v).toEqual([0, 100]);
    expect(history.snapshot().series['w0.rssBytes']?.v).toEqual([100, 100]);
    const last = (name: string) => history.snapshot().series[name]?.v.at(-1);
    expect(last('cluster.workers')).toBe(2);
    expect(last('cluster.rssBytes')).toBe(400);
    expect(last('cluster.eventLoopDelayP99Ms')).toBe(9);
    expect(last('cluster.eventLoopUtilization')).toBeCloseTo(0.3);
    expect(last('cluster.requestsPerSecond')).toBe(100);
    expect(last('cluster.connections')).toBe(6);

    events.emit('worker:exited', { slot: 'w0', pid: 1, code: 1, signal: null, expected: false, uptimeMs: 1 });
    events.emit('worker:exited', { slot: 'w1', pid: 2, code: 0, signal: null, expected: true, uptimeMs: 1 });
    events.emit('worker:started', { slot: 'w0', pid: 3, reason: 'crash' });
    events.emit('worker:started', { slot: 'w2', pid: 4, reason: 'initial' });
    cluster.reload('started');
    events.emit('reload:completed', { durationMs: 2_345, replaced: 2 });
    expect(history.snapshot().marks.map((m) => `${m.kind}:${m.label}`)).toEqual([
      'exit:w0',
      'restart:w0',
      'reload:started',
      'reload:done in 2.3 s',
    ]);
    expect(history.snapshot().series['w0.rssBytes']?.v.at(-1)).toBeNull();
    // The replacement (a new pid) starts its rate afresh.
    cluster.heartbeat(worker('w0', 3, { requestsTotal: 5 }));
    expect(last('w0.requestsPerSecond')).toBe(0);
    workers = [];
    vi.advanceTimersByTime(1_000);
    expect(last('cluster.eventLoopDelayP99Ms')).toBe(0);
    expect(last('cluster.eventLoopUtilization')).toBe(0);
    void cluster.close();
    cluster.heartbeat(worker('w0', 3)); // after close: nothing recorded, nothing thrown
    events.emit('worker:started', { slot: 'w0', pid: 5, reason: 'crash' });
  });

  it('holds 10 workers × 30 minutes at 1 s within the documented 2.2 MB, and the ring drops only the oldest', () => {
    vi.useFakeTimers({ now: 0 });
    const events = new EventEmitter<ClusterSupervisorEvents>();
    const slots = Array.from({ length: 10 }, (_, i) => `w${i}`);
    const cluster = new ClusterHistory(
      { intervalMs: 1_000, capacity: 1_800 },
      () => slots.map((slot, i) => worker(slot, i + 1)),
      events,
    );
    for (let second = 1; second <= 2_000; second++) {
      for (const [i, slot] of slots.entries())
        cluster.heartbeat(worker(slot, i + 1, { requestsTotal: second * 10 }));
      vi.advanceTimersByTime(1_000);
    }
    const stats = cluster.history.stats();
    expect(stats.series).toBe(78); // 7 a slot, 8 for the cluster
    expect(stats.bytes).toBe(78 * 1_800 * 16);
    expect(stats.bytes).toBeLessThanOrEqual(2.25 * 1024 * 1024);
    const w9 = cluster.history.snapshot().series['w9.requestsPerSecond'];
    expect(w9?.t).toHaveLength(1_800);
    expect(w9?.t[0]).toBe(200_000); // the oldest 200 s went
    expect(w9?.v.at(-1)).toBe(10);
    void cluster.close();
  });
});
