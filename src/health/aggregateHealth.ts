import type { InvalidOptionError } from '../core/errors/InvalidOptionError.js';
import type { HealthStatus } from '../core/HealthCheck.js';
import { setOwnEntry } from '../core/internal/ownEntry.js';
import { checkOptionKeys, numberOption, optionNames, optionsObject } from '../core/internal/validate.js';
import type { HealthSnapshot } from './HealthMonitorOptions.js';
import { LEVEL_NAMES } from './thresholds.js';

/** Options of {@link aggregateHealth}. */
export type AggregateHealthOptions = {
  /**
   * A snapshot older than this (by its `at`, against `now`) counts as `critical` with the reason
   * `stale`: a worker whose event loop is stuck stops reporting, and its last snapshot may still
   * say `healthy`. `0` means never stale. Minimum: 0.
   * @default 0
   */
  readonly staleAfterMs?: number;
  /**
   * The current time in ms since the epoch, to judge staleness.
   * @default Date.now()
   */
  readonly now?: number;
};

/** One worker's line in an {@link AggregatedHealth}. */
export type AggregatedHealthEntry = {
  /** The worker's status, `critical` when its snapshot is stale. */
  readonly status: HealthStatus;
  /** Whether the snapshot was older than `staleAfterMs`. */
  readonly stale: boolean;
  /** The worker's snapshot, as given. */
  readonly snapshot: HealthSnapshot;
};

/** The health of several processes (cluster workers) together, from {@link aggregateHealth}. */
export type AggregatedHealth = {
  /** The worst status of any worker; `critical` when there is none. */
  readonly status: HealthStatus;
  /** Each non-healthy worker's reasons, prefixed with its key (`3: event loop delay …`). */
  readonly reasons: readonly string[];
  /** How many snapshots were given. */
  readonly total: number;
  /** How many workers are in each status (stale ones count as `critical`). */
  readonly counts: Readonly<Record<HealthStatus, number>>;
  /** How many workers report that shutdown has begun. */
  readonly shuttingDown: number;
  /** How many snapshots were stale. */
  readonly stale: number;
  /** The largest event-loop delay p99 of any worker, in ms. */
  readonly maxEventLoopDelayP99Ms: number;
  /** Mean event-loop utilisation over the workers, from 0 to 1. */
  readonly meanEventLoopUtilization: number;
  /** Sum of the workers' resident set sizes, in bytes. */
  readonly totalRssBytes: number;
  /** Sum of the workers' heap in use, in bytes. */
  readonly totalHeapUsedBytes: number;
  /** One entry per worker, by the same keys as the input. */
  readonly workers: Readonly<Record<string, AggregatedHealthEntry>>;
};

const OPTIONS = optionNames<AggregateHealthOptions>()(['staleAfterMs', 'now']);

/**
 * Combines the snapshots of several processes, typically what each cluster worker's
 * {@link HealthMonitor} sent to the primary, into one verdict: the worst status, counts per
 * status, the reasons of every worker that is not healthy, and per-worker entries. With no
 * snapshots at all the result is `critical` (nothing is serving).
 *
 * @param snapshots - snapshots by worker key (id or pid).
 * @param options - staleness.
 * @returns a fresh plain object, safe to `JSON.stringify`.
 * @throws {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION` for a bad option or a
 * `snapshots` that is not an object.
 *
 * @example
 * {@includeCode ./aggregateHealth.test.ts#aggregateHealth}
 */
export function aggregateHealth(
  snapshots: Readonly<Record<string, HealthSnapshot>>,
  options?: AggregateHealthOptions,
): AggregatedHealth {
  const given = optionsObject('snapshots', snapshots as Record<string, HealthSnapshot>);
  const opts = optionsObject('options', options);
  checkOptionKeys(opts, OPTIONS, 'aggregateHealth');
  const staleAfterMs = numberOption('options.staleAfterMs', opts.staleAfterMs ?? 0, 0);
  const now = opts.now === undefined ? Date.now() : numberOption('options.now', opts.now);
  const counts: Record<HealthStatus, number> = { healthy: 0, degraded: 0, critical: 0 };
  const workers: Record<string, AggregatedHealthEntry> = {};
  const reasons: string[] = [];
  let worst = -1;
  let total = 0;
  let shuttingDown = 0;
  let stale = 0;
  let maxDelay = 0;
  let eluSum = 0;
  let rss = 0;
  let heap = 0;
  for (const [key, snapshot] of Object.entries(given)) {
    total++;
    const isStale = staleAfterMs > 0 && now - snapshot.at > staleAfterMs;
    const status: HealthStatus = isStale ? 'critical' : snapshot.status;
    const level = LEVEL_NAMES.indexOf(status);
    if (level > worst) worst = level;
    counts[status]++;
    if (isStale) {
      stale++;
      reasons.push(`${key}: stale (last snapshot ${Math.round(now - snapshot.at)} ms ago)`);
    } else if (status !== 'healthy') {
      for (const reason of snapshot.reasons) reasons.push(`${key}: ${reason}`);
    }
    if (snapshot.shuttingDown) shuttingDown++;
    maxDelay = Math.max(maxDelay, snapshot.eventLoopDelay?.p99 ?? 0);
    eluSum += snapshot.eventLoopUtilization ?? 0;
    rss += snapshot.rssBytes ?? 0;
    heap += snapshot.heapUsedBytes ?? 0;
    setOwnEntry(workers, key, { status, stale: isStale, snapshot });
  }
  if (total === 0) reasons.push('no snapshots: nothing is reporting');
  return {
    status: worst === -1 ? 'critical' : (LEVEL_NAMES[worst] as HealthStatus),
    reasons,
    total,
    counts,
    shuttingDown,
    stale,
    maxEventLoopDelayP99Ms: maxDelay,
    meanEventLoopUtilization: total === 0 ? 0 : eluSum / total,
    totalRssBytes: rss,
    totalHeapUsedBytes: heap,
    workers,
  };
}
