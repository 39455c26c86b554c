export { ClusterLock } from './ClusterLock.js';
export {
  type BudgetedFactory,
  ClusterPoolBudget,
  type ClusterPoolBudgetOptions,
} from './ClusterPoolBudget.js';
export { ClusterRateLimitStore } from './ClusterRateLimitStore.js';
export {
  ClusterStateHost,
  type ClusterStateHostOptions,
  type ClusterStateHostStats,
} from './ClusterStateHost.js';
export type { ClusterStateOptions } from './ClusterStateOptions.js';
export {
  WORKER_EXITED_CHANNEL,
  WORKER_ONLINE_CHANNEL,
  type WorkerExitedNotice,
  type WorkerOnlineNotice,
} from './lifecycleNotices.js';
