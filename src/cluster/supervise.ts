import cluster from 'node:cluster';
import { functionOption } from '../core/internal/validate.js';
import { ClusterSupervisor } from './ClusterSupervisor.js';
import type { ClusterSupervisorOptions } from './ClusterSupervisorOptions.js';
import { ClusterWorker } from './ClusterWorker.js';
import { giveUp, ownTheProcess } from './giveUp.js';
import { resolveClusterOptions } from './resolveClusterOptions.js';
import type { ServerFactory } from './WorkerContext.js';

/**
 * Runs `factory`'s server on every core with one call in one file. In the primary it creates a
 * {@link ClusterSupervisor}, starts it (forking the workers, which run this same file) and returns
 * it; in a worker it builds the server with `factory`, listens and returns the {@link ClusterWorker}.
 * Check `role` to tell them apart. After a crash loop the primary writes the cause to stderr,
 * stops the remaining workers gracefully and exits with code 1, so an orchestrator restarts the
 * whole instance (use {@link ClusterSupervisor} directly to decide otherwise).
 *
 * @param factory - builds the worker's server (without calling `listen`); called in workers only.
 * @param options - see {@link ClusterSupervisorOptions}; read in the primary and in every worker.
 * @returns the supervisor in the primary, the worker runtime in a worker.
 * @throws {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION` for a bad option.
 *
 * @example
 * {@includeCode ./ClusterSupervisor.test.ts#supervise}
 */
export function supervise(
  factory: ServerFactory,
  options?: ClusterSupervisorOptions,
): ClusterSupervisor | ClusterWorker {
  functionOption('factory', factory);
  if (cluster.isPrimary) {
    const supervisor = new ClusterSupervisor(options);
    // The one-call form has no caller to hear a crash loop or a failed start: the supervisor
    // owns the process and gives up itself (a line on stderr, a graceful stop, exit code 1).
    ownTheProcess(supervisor);
    supervisor.start().catch((error: unknown) => {
      const why = error instanceof Error ? error.message : String(error);
      giveUp(`could not start: ${why}`, () => supervisor.stop());
    });
    return supervisor;
  }
  return new ClusterWorker(factory, resolveClusterOptions(options));
}
