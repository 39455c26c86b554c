import { AbortedError } from './AbortedError.js';
import { CapacityExceededError } from './CapacityExceededError.js';
import { CircuitOpenError } from './CircuitOpenError.js';
import { ClosedError } from './ClosedError.js';
import type { ErrorCode } from './ErrorCode.js';
import { InvalidOptionError } from './InvalidOptionError.js';
import { JobStoreError } from './JobStoreError.js';
import { LeaseLostError } from './LeaseLostError.js';
import { LoaderError } from './LoaderError.js';
import { LoadstoneError } from './LoadstoneError.js';
import { NoTargetError } from './NoTargetError.js';
import { RetriesExhaustedError } from './RetriesExhaustedError.js';
import { ShedError } from './ShedError.js';
import { TierError } from './TierError.js';
import { TimeoutError } from './TimeoutError.js';
import { WorkerExitError } from './WorkerExitError.js';

export type { ErrorCode } from './ErrorCode.js';
export type { LoadstoneErrorOptions } from './LoadstoneError.js';
export type { WorkerKind } from './WorkerExitError.js';
export {
  AbortedError,
  CapacityExceededError,
  CircuitOpenError,
  ClosedError,
  InvalidOptionError,
  JobStoreError,
  LeaseLostError,
  LoaderError,
  LoadstoneError,
  NoTargetError,
  RetriesExhaustedError,
  ShedError,
  TierError,
  TimeoutError,
  WorkerExitError,
};

/**
 * Every loadstone error class, keyed by its code.
 *
 * @example
 * {@includeCode ./errors.test.ts#errorsMap}
 */
export const errors = {
  /** {@link InvalidOptionError}: a bad option, setter value or call argument. */
  ERR_LOADSTONE_INVALID_OPTION: InvalidOptionError,
  /** {@link ClosedError}: use after close or destroy. */
  ERR_LOADSTONE_CLOSED: ClosedError,
  /** {@link TimeoutError}: an operation exceeded its time limit. */
  ERR_LOADSTONE_TIMEOUT: TimeoutError,
  /** {@link CapacityExceededError}: a queue or pool is full. */
  ERR_LOADSTONE_CAPACITY: CapacityExceededError,
  /** {@link AbortedError}: work aborted with a reason that is not an `Error`. */
  ERR_LOADSTONE_ABORTED: AbortedError,
  /** {@link NoTargetError}: no node or backend to choose. */
  ERR_LOADSTONE_NO_TARGET: NoTargetError,
  /** {@link CircuitOpenError}: a circuit breaker refused the call. */
  ERR_LOADSTONE_CIRCUIT_OPEN: CircuitOpenError,
  /** {@link WorkerExitError}: a worker thread or process died holding work. */
  ERR_LOADSTONE_WORKER_EXIT: WorkerExitError,
  /** {@link ShedError}: work refused while load is critical. */
  ERR_LOADSTONE_SHED: ShedError,
  /** {@link TierError}: a cache tier failed an operation. */
  ERR_LOADSTONE_TIER: TierError,
  /** {@link LoaderError}: a cache loader failed with no stale value to serve. */
  ERR_LOADSTONE_LOADER: LoaderError,
  /** {@link RetriesExhaustedError}: every allowed attempt failed. */
  ERR_LOADSTONE_RETRIES_EXHAUSTED: RetriesExhaustedError,
  /** {@link JobStoreError}: a job store failed an operation. */
  ERR_LOADSTONE_JOB_STORE: JobStoreError,
  /** {@link LeaseLostError}: a worker lost its lease on a job, which will run again. */
  ERR_LOADSTONE_LEASE_LOST: LeaseLostError,
} as const satisfies Record<ErrorCode, { readonly code: ErrorCode; readonly prototype: LoadstoneError }>;

/** Maps a code to the instance type of its error class. */
export type ErrorOfCode<C extends ErrorCode> = InstanceType<(typeof errors)[C]>;

/**
 * Tells whether `value` is a loadstone error — from any copy of the package — optionally one
 * with the given code.
 *
 * @param value - anything caught.
 * @param code - the code to require, if any.
 * @returns whether `value` is such an error; narrows its type.
 *
 * @example
 * {@includeCode ./errors.test.ts#catching}
 */
export function isLoadstoneError<C extends ErrorCode>(value: unknown, code?: C): value is ErrorOfCode<C> {
  if (!(value instanceof LoadstoneError)) return false;
  return code === undefined || value.code === code;
}
