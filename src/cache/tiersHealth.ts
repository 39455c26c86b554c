import type { HealthCheckResult } from '../core/HealthCheck.js';
import { setOwnEntry } from '../core/internal/ownEntry.js';
import type { JsonValue } from '../core/Json.js';
import type { GuardedTier } from './GuardedTier.js';

/**
 * A TieredCache's health from its remote tiers: `healthy` when every breaker is closed,
 * `degraded` when one is open or probing, `critical` once the cache is closed; each remote
 * tier's breaker state is in `details`.
 */
export function tiersHealth(tiers: readonly GuardedTier[], closed: boolean): HealthCheckResult {
  const details: Record<string, JsonValue> = {};
  const down: string[] = [];
  for (const slot of tiers) {
    if (slot.breaker === undefined) continue;
    const state = slot.breaker.state;
    setOwnEntry(details, slot.name, state);
    if (state !== 'closed') down.push(slot.name);
  }
  if (closed) return { status: 'critical', message: 'closed', details };
  if (down.length === 0) return { status: 'healthy', details };
  return { status: 'degraded', message: `tier ${down.join(', ')} skipped (circuit open)`, details };
}
