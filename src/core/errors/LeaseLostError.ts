import { LoadstoneError } from './LoadstoneError.js';

/**
 * A worker lost its lease on a job (it was not renewed in time, e.g. the event loop was blocked
 * for longer than the visibility timeout), so the job will run again elsewhere. The handler's
 * `signal` aborts with it; its result is discarded.
 *
 * @example
 * {@includeCode ./errors.test.ts#leaseLost}
 */
export class LeaseLostError extends LoadstoneError {
  /** The error's stable code. */
  static readonly code = 'ERR_LOADSTONE_LEASE_LOST';
  declare readonly code: 'ERR_LOADSTONE_LEASE_LOST';
  /** The job's id. */
  readonly jobId: string;

  /** @param jobId - the job whose lease was lost. */
  constructor(jobId: string) {
    super('ERR_LOADSTONE_LEASE_LOST', `The lease on job "${jobId}" was lost; it will run again`);
    this.jobId = jobId;
  }
}
