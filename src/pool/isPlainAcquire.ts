import { MAX_TIMER_MS, optionNames } from '../core/internal/validate.js';
import type { AcquireOptions } from './ConnectionPoolOptions.js';

/** The options of `acquire` and `use`. */
export const ACQUIRE_OPTIONS = optionNames<AcquireOptions>()(['signal', 'timeoutMs']);

/**
 * Whether per-call options need nothing of the slow path when a resource is idle: no aborted
 * signal and a valid (hence unused) `timeoutMs`, nothing else. Anything else goes the slow path,
 * which validates and rejects.
 */
export function isPlainAcquire(options: AcquireOptions): boolean {
  if (typeof options !== 'object' || options === null) return false;
  // Names compared here, not looked up in the set: this loop runs on every acquire given options.
  for (const key in options) if (key !== 'signal' && key !== 'timeoutMs') return false;
  const { signal, timeoutMs } = options;
  return (
    (signal === undefined || (signal instanceof AbortSignal && !signal.aborted)) &&
    (timeoutMs === undefined ||
      (typeof timeoutMs === 'number' && timeoutMs >= 0 && timeoutMs <= MAX_TIMER_MS))
  );
}
