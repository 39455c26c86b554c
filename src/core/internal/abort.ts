import { AbortedError } from '../errors/AbortedError.js';

/**
 * The error a caller's abort rejects with: the signal's own `reason` when it is an `Error`
 * (callers match on what they aborted with), otherwise an {@link AbortedError} carrying it.
 */
export function abortReason(signal: AbortSignal, operation: string): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new AbortedError(operation, { cause: reason });
}
