import { type AggregatedHealth, aggregateHealth, type HealthSnapshot } from '../health/index.js';
import type { ManagedWorker } from './ManagedWorker.js';

/**
 * The health snapshots the workers sent with their latest heartbeats, keyed by slot and combined
 * with `aggregateHealth`; draining workers do not count.
 *
 * @returns the aggregate, or `undefined` when no worker sent a snapshot.
 */
export function aggregateWorkerHealth(
  managed: Iterable<ManagedWorker>,
  staleAfterMs: number,
): AggregatedHealth | undefined {
  const snapshots: Record<string, HealthSnapshot> = {};
  let any = false;
  for (const m of managed) {
    const h = m.sample?.health;
    if (m.state === 'draining' || typeof h !== 'object' || h === null) continue;
    snapshots[m.slot.id] = h as HealthSnapshot;
    any = true;
  }
  if (!any) return undefined;
  try {
    return aggregateHealth(snapshots, { staleAfterMs });
  } catch {
    // A worker sent something that is not a snapshot: report no aggregate rather than throw.
    return undefined;
  }
}
