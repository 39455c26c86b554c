import { TieredCache } from '../cache/index.js';
import { type Field, fields } from './fields.js';
import { type Kind, record } from './Kind.js';

const CACHE: readonly Field[] = [
  ['hits', 'hits_total', 'counter', 'Reads answered from a tier (cached "not found" included).'],
  ['misses', 'misses_total', 'counter', 'Reads that found no fresh entry in any tier.'],
  ['loaderCalls', 'loader_calls_total', 'counter', 'Loader runs.'],
  ['loaderErrors', 'loader_errors_total', 'counter', 'Loader runs that failed.'],
  [
    'stampedesCollapsed',
    'stampedes_collapsed_total',
    'counter',
    'getOrSet calls that joined a load already running.',
  ],
  ['staleServed', 'stale_served_total', 'counter', 'Stale values returned.'],
  ['refreshes', 'refreshes_total', 'counter', 'Background refreshes started.'],
  ['locksAcquired', 'locks_acquired_total', 'counter', 'Cross-process locks taken.'],
  ['lockWaits', 'lock_waits_total', 'counter', "Waits for another process's lock."],
  ['invalidationsSent', 'invalidations_sent_total', 'counter', 'Invalidations published on the bus.'],
  [
    'invalidationsFailed',
    'invalidations_failed_total',
    'counter',
    'Invalidations the bus failed to publish.',
  ],
  [
    'invalidationsReceived',
    'invalidations_received_total',
    'counter',
    'Invalidations received from other processes.',
  ],
];

const TIER: readonly Field[] = [
  ['hits', 'tier_hits_total', 'counter', 'Reads that found a usable entry in this tier.'],
  ['misses', 'tier_misses_total', 'counter', 'Reads that found no usable entry in this tier.'],
  ['skipped', 'tier_skipped_total', 'counter', "Calls not made because the tier's breaker was open."],
  ['errors', 'tier_errors_total', 'counter', 'Tier calls that failed or timed out.'],
];

/** `TieredCache`: the `cache_*` families, and per tier (label `tier`) its counters and state. @internal */
export const tieredCacheKind: Kind = {
  module: 'cache',
  is: (s) => s instanceof TieredCache,
  map: (b, stats, labels) => {
    fields(b, 'cache', stats, CACHE, labels);
    b.latency('cache_operation_seconds', 'Sampled get/getOrSet latency.', stats.latency, labels);
    for (const tier of Array.isArray(stats.tiers) ? (stats.tiers as unknown[]) : []) {
      const t = record(tier);
      const tierLabels = { ...labels, tier: String(t.name) };
      fields(b, 'cache', t, TIER, tierLabels);
      b.stateSet(
        'cache_tier_state',
        "Tier state: local, or its breaker's state (1 for the current one).",
        'state',
        ['local', 'closed', 'open', 'half-open'],
        t.state,
        tierLabels,
      );
    }
  },
};
