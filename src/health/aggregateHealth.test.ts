import { describe, expect, it } from 'vitest';
import { expectInvalidOption } from '../../test/helpers/expectInvalidOption.js';
import { aggregateHealth } from './aggregateHealth.js';
import type { HealthSnapshot } from './HealthMonitorOptions.js';

const NOW = 1_700_000_000_000;

function snapshot(overrides: Partial<HealthSnapshot> = {}): HealthSnapshot {
  return {
    status: 'healthy',
    reasons: [],
    at: NOW - 500,
    eventLoopDelay: { p50: 1, p99: 4, max: 6, mean: 1.5 },
    eventLoopUtilization: 0.2,
    heapUsedBytes: 40e6,
    heapLimitBytes: 2e9,
    rssBytes: 100e6,
    cpuPercent: 20,
    checks: {},
    shuttingDown: false,
    shedRequests: 0,
    samples: 10,
    ...overrides,
  };
}

describe('aggregateHealth', () => {
  it('takes the worst status, counts and sums, and prefixes reasons with the worker key', () => {
    const fromWorkers: Record<string, HealthSnapshot> = {
      '1': snapshot(),
      '2': snapshot({
        status: 'degraded',
        reasons: ['event loop delay p99 150 ms >= 100 ms (degraded)'],
        eventLoopDelay: { p50: 2, p99: 150, max: 180, mean: 9 },
        eventLoopUtilization: 0.6,
      }),
    };
    // #region aggregateHealth
    // In the cluster primary, with each worker's latest HealthMonitor snapshot (sent over IPC):
    const health = aggregateHealth(fromWorkers, { staleAfterMs: 5_000, now: NOW });
    // health.status === 'degraded'; health.counts → { healthy: 1, degraded: 1, critical: 0 }
    // #endregion aggregateHealth
    expect(health).toEqual({
      status: 'degraded',
      reasons: ['2: event loop delay p99 150 ms >= 100 ms (degraded)'],
      total: 2,
      counts: { healthy: 1, degraded: 1, critical: 0 },
      shuttingDown: 0,
      stale: 0,
      maxEventLoopDelayP99Ms: 150,
      meanEventLoopUtilization: 0.4,
      totalRssBytes: 200e6,
      totalHeapUsedBytes: 80e6,
      workers: {
        '1': { status: 'healthy', stale: false, snapshot: fromWorkers['1'] },
        '2': { status: 'degraded', stale: false, snapshot: fromWorkers['2'] },
      },
    });
    expect(JSON.parse(JSON.stringify(health))).toEqual(health);
  });

  it('any critical worker makes the whole critical; shutting-down workers are counted', () => {
    const health = aggregateHealth(
      {
        a: snapshot({ status: 'critical', reasons: ['check "redis" critical: ECONNREFUSED'] }),
        b: snapshot({ status: 'degraded', reasons: ['x'] }),
        c: snapshot({ shuttingDown: true }),
      },
      { now: NOW },
    );
    expect(health.status).toBe('critical');
    expect(health.counts).toEqual({ healthy: 1, degraded: 1, critical: 1 });
    expect(health.shuttingDown).toBe(1);
    expect(health.reasons).toEqual(['a: check "redis" critical: ECONNREFUSED', 'b: x']);
  });

  it('counts a stale snapshot as critical (a stuck worker stops reporting)', () => {
    const health = aggregateHealth(
      { fresh: snapshot(), stuck: snapshot({ at: NOW - 12_000 }) },
      { staleAfterMs: 5_000, now: NOW },
    );
    expect(health.status).toBe('critical');
    expect(health.stale).toBe(1);
    expect(health.workers.stuck).toMatchObject({ status: 'critical', stale: true });
    expect(health.reasons).toEqual(['stuck: stale (last snapshot 12000 ms ago)']);
    // Without staleAfterMs, age does not matter.
    expect(aggregateHealth({ stuck: snapshot({ at: 0 }) }).status).toBe('healthy');
  });

  it('is critical with nothing to aggregate', () => {
    const health = aggregateHealth({});
    expect(health).toMatchObject({
      status: 'critical',
      total: 0,
      reasons: ['no snapshots: nothing is reporting'],
      meanEventLoopUtilization: 0,
    });
  });

  it('validates its arguments', () => {
    expectInvalidOption(() => aggregateHealth(null as never), 'snapshots', 'an object');
    expectInvalidOption(
      () => aggregateHealth({}, { staleAfterMs: -1 }),
      'options.staleAfterMs',
      'a finite number >= 0',
    );
    expectInvalidOption(() => aggregateHealth({}, { now: Number.NaN }), 'options.now', 'a finite number');
  });
});
