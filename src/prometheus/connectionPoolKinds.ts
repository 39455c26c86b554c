import { ConnectionPool, ConnectionPoolManager, type PoolStats } from '../pool/index.js';
import type { FamilyBuilder } from './FamilyBuilder.js';
import { type Field, fields } from './fields.js';
import { type Kind, type Labels, record, type Stats } from './Kind.js';

const POOL: readonly Field[] = [
  ['min', 'resources_min', 'gauge', 'Configured minimum of resources.'],
  ['max', 'resources_max', 'gauge', 'Current maximum of resources (moved by resize and adaptive sizing).'],
  ['size', 'resources', 'gauge', 'Resources open: borrowed + idle + being validated.'],
  ['idle', 'resources_idle', 'gauge', 'Resources idle in the pool.'],
  ['borrowed', 'resources_borrowed', 'gauge', 'Resources borrowed.'],
  ['creating', 'resources_creating', 'gauge', 'Resources being made.'],
  ['waiting', 'acquires_waiting', 'gauge', 'Acquires waiting for a resource.'],
  ['acquired', 'acquires_total', 'counter', 'Acquires served.'],
  ['timedOut', 'acquire_timeouts_total', 'counter', 'Acquires that timed out.'],
  ['aborted', 'acquires_aborted_total', 'counter', 'Acquires aborted by their signal while waiting.'],
  ['created', 'resources_created_total', 'counter', 'Resources made.'],
  ['destroyed', 'resources_destroyed_total', 'counter', 'Resources destroyed.'],
  ['createFailures', 'create_failures_total', 'counter', 'Resource creation failures.'],
  ['validationFailures', 'validation_failures_total', 'counter', 'Resources that failed validation.'],
  ['leaks', 'leaks_total', 'counter', 'Leases reported by leak detection.'],
  ['adaptiveResizes', 'resizes_total', 'counter', 'Changes of max by adaptive sizing.'],
];

function pool(b: FamilyBuilder, stats: PoolStats | Stats, labels: Labels): void {
  fields(b, 'pool', stats as Stats, POOL, labels);
  b.latency(
    'pool_acquire_wait_seconds',
    'Time from acquire to being handed a resource.',
    stats.acquireWait,
    labels,
  );
  b.latency('pool_hold_seconds', 'Time a resource was borrowed.', stats.holdTime, labels);
}

/** `ConnectionPoolManager`: each of its pools' `pool_*` families, labelled `pool`. @internal */
export const connectionPoolManagerKind: Kind = {
  module: 'pool',
  is: (s) => s instanceof ConnectionPoolManager,
  map: (b, stats, labels) => {
    for (const [key, poolStats] of Object.entries(record(stats.pools)))
      pool(b, record(poolStats), { ...labels, pool: key });
  },
};

/** `ConnectionPool`: its `pool_*` families, labelled `pool` with the pool's name. @internal */
export const connectionPoolKind: Kind = {
  module: 'pool',
  is: (s) => s instanceof ConnectionPool,
  map: (b, stats, labels) =>
    pool(b, stats, { ...labels, pool: typeof stats.name === 'string' ? stats.name : '' }),
};
