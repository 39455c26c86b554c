/**
 * Every code a loadstone error can carry. Codes are append-only: a code is never renamed or
 * reused, so matching on one stays correct across versions. `docs/errors.md` lists them all.
 */
export type ErrorCode =
  | 'ERR_LOADSTONE_INVALID_OPTION'
  | 'ERR_LOADSTONE_CLOSED'
  | 'ERR_LOADSTONE_TIMEOUT'
  | 'ERR_LOADSTONE_CAPACITY'
  | 'ERR_LOADSTONE_ABORTED'
  | 'ERR_LOADSTONE_NO_TARGET'
  | 'ERR_LOADSTONE_CIRCUIT_OPEN'
  | 'ERR_LOADSTONE_WORKER_EXIT'
  | 'ERR_LOADSTONE_SHED'
  | 'ERR_LOADSTONE_TIER'
  | 'ERR_LOADSTONE_LOADER'
  | 'ERR_LOADSTONE_RETRIES_EXHAUSTED'
  | 'ERR_LOADSTONE_JOB_STORE'
  | 'ERR_LOADSTONE_LEASE_LOST';
