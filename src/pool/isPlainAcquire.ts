import { MAX_TIMER_MS } from '../core/internal/validate.js';
import type { AcquireOptions } from './ConnectionPoolOptions.js';

/**
 * Whether per-call options need nothing of the slow path when a resource is idle: no aborted
 * signal and a valid (hence unused) `timeoutMs`. Anything else goes the slow path, which
 * validates and rejects.
 */
export function isPlainAcquire(options: AcquireOptions): boolean {
  if (typeof options !== 'object' || options === null) return false;
  const { signal, timeoutMs } = options;
  return (
    (signal === undefined || (signal instanceof AbortSignal && !signal.aborted)) &&
    (timeoutMs === undefined ||
      (typeof timeoutMs === 'number' && timeoutMs >= 0 && timeoutMs <= MAX_TIMER_MS))
  );
}
