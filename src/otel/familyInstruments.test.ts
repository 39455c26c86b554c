import { describe, expect, it } from 'vitest';
import type { MetricFamily } from '../prometheus/index.js';
import { targetOf } from './familyInstruments.js';

const family = (name: string, type: MetricFamily['type'], values: MetricFamily['values']): MetricFamily => ({
  name,
  help: 'h',
  type,
  values,
});

describe('targetOf: Prometheus samples to OpenTelemetry instruments', () => {
  it('renames by module and field, drops _total from counters, and gives seconds and bytes their units', () => {
    const labels = { name: 'c' };
    const sample = { value: 1, labels };
    expect(targetOf(family('loadstone_cache_hits_total', 'counter', [sample]), sample, 'loadstone')).toEqual({
      name: 'loadstone.cache.hits',
      kind: 'counter',
      attributes: labels,
    });
    expect(
      targetOf(family('loadstone_health_heap_used_bytes', 'gauge', [sample]), sample, 'loadstone'),
    ).toEqual({
      name: 'loadstone.health.heap_used_bytes',
      kind: 'gauge',
      unit: 'By',
      attributes: labels,
    });
    expect(
      targetOf(family('loadstone_jobs_run_seconds_total', 'counter', [sample]), sample, 'loadstone'),
    ).toEqual({
      name: 'loadstone.jobs.run_seconds',
      kind: 'counter',
      unit: 's',
      attributes: labels,
    });
    expect(targetOf(family('app_queue_depth', 'gauge', [sample]), sample, 'app').name).toBe(
      'app.queue.depth',
    );
    // A name without the prefix keeps its own first part.
    expect(targetOf(family('other_x_y', 'gauge', [sample]), sample, 'loadstone').name).toBe(
      'loadstone.other.x_y',
    );
  });

  it('turns a summary into a quantile gauge and two counters', () => {
    const q = { value: 0.2, labels: { quantile: '0.99' } };
    const sum = { value: 5, labels: {}, metricName: 'loadstone_pool_hold_seconds_sum' };
    const count = { value: 9, labels: {}, metricName: 'loadstone_pool_hold_seconds_count' };
    const f = family('loadstone_pool_hold_seconds', 'summary', [q, sum, count]);
    expect(targetOf(f, q, 'loadstone')).toEqual({
      name: 'loadstone.pool.hold_seconds',
      kind: 'gauge',
      unit: 's',
      attributes: { quantile: '0.99' },
    });
    expect(targetOf(f, sum, 'loadstone')).toEqual({
      name: 'loadstone.pool.hold_seconds.sum',
      kind: 'counter',
      unit: 's',
      attributes: {},
    });
    expect(targetOf(f, count, 'loadstone')).toEqual({
      name: 'loadstone.pool.hold_seconds.count',
      kind: 'counter',
      attributes: {},
    });
  });

  it('gives a pool’s gauges their semantic-convention names, only with a pool label', () => {
    const labels = { name: 'pools', pool: 'db' };
    const at = (name: string, type: MetricFamily['type'] = 'gauge') => {
      const sample = { value: 1, labels };
      return targetOf(family(`loadstone_${name}`, type, [sample]), sample, 'loadstone');
    };
    const pool = { name: 'pools', 'db.client.connection.pool.name': 'db' };
    expect(at('pool_resources_idle')).toEqual({
      name: 'db.client.connection.count',
      kind: 'updown',
      unit: '{connection}',
      attributes: { ...pool, 'db.client.connection.state': 'idle' },
    });
    expect(at('pool_resources_borrowed').attributes['db.client.connection.state']).toBe('used');
    expect([at('pool_resources_max').name, at('pool_resources_max').kind]).toEqual([
      'db.client.connection.max',
      'updown',
    ]);
    expect(at('pool_acquires_waiting').name).toBe('db.client.connection.pending_requests');
    expect([
      at('pool_acquire_timeouts_total', 'counter').name,
      at('pool_acquire_timeouts_total', 'counter').kind,
    ]).toEqual(['db.client.connection.timeouts', 'counter']);
    const unlabelled = { value: 1, labels: {} };
    expect(
      targetOf(family('loadstone_pool_resources_idle', 'gauge', [unlabelled]), unlabelled, 'loadstone').name,
    ).toBe('loadstone.pool.resources_idle');
  });
});
