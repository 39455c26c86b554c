import type { EventEmitter } from 'node:events';
import type { ClusterStats } from './ClusterStats.js';
import type { ClusterSupervisorEvents } from './events.js';
import type { ResolvedClusterSupervisorOptions } from './resolveClusterOptions.js';

/** Lifecycle state of the supervisor. */
export type SupervisorState = ClusterStats['state'];

/**
 * What every collaborator of `ClusterSupervisor` sees of it: its options, its lifecycle state
 * and its events, which collaborators emit on its behalf.
 */
export type SupervisorHost = {
  readonly options: ResolvedClusterSupervisorOptions;
  /** The lifecycle state now. */
  state(): SupervisorState;
  readonly events: Pick<EventEmitter<ClusterSupervisorEvents>, 'emit'>;
};

/** `true` once `stop()` began: no worker is restarted or replaced, and every exit is expected. */
export function isShuttingDown(state: SupervisorState): boolean {
  return state === 'stopping' || state === 'stopped';
}
