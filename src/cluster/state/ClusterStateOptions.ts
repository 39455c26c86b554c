import type { ClusterStateHost } from './ClusterStateHost.js';

/** Options of {@link ClusterRateLimitStore} and {@link ClusterLock}. */
export type ClusterStateOptions = {
  /**
   * In the cluster primary only: the host that keeps the state, `supervisor.clusterState`. In a
   * worker leave it out: the worker reaches its primary's host over IPC.
   */
  readonly host?: ClusterStateHost;
};
