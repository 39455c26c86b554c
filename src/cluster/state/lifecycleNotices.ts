// Worker lifecycle notices: what the supervisor publishes on the cluster bus when a worker comes
// online or exits, so any soft state (presence, subscriptions, leases) can drop what a dead
// worker owned without waiting for a timeout.

/** Bus channel of {@link WorkerOnlineNotice}: a worker is ready to serve. */
export const WORKER_ONLINE_CHANNEL = 'loadstone:worker:online';
/** Bus channel of {@link WorkerExitedNotice}: a worker process is gone. */
export const WORKER_EXITED_CHANNEL = 'loadstone:worker:exited';

/** Published on {@link WORKER_ONLINE_CHANNEL} (a JSON object). */
export type WorkerOnlineNotice = {
  /** The worker's process id. */
  readonly pid: number;
  /** The machine's host name: a notice bridged to other machines names its own. */
  readonly host: string;
  /** Its slot id. */
  readonly slot: string;
};

/** Published on {@link WORKER_EXITED_CHANNEL} (a JSON object). */
export type WorkerExitedNotice = {
  /** The worker's process id: whatever it owned is now ownerless. */
  readonly pid: number;
  /** The machine's host name (pids repeat across machines; a bridged notice names its own). */
  readonly host: string;
  /** Its slot id. */
  readonly slot: string;
  /**
   * `'crashed'` when it exited unasked (a crash, a kill from outside), `'retired'` when the
   * supervisor drained or killed it (reload, replacement, scale-down, stop).
   */
  readonly reason: 'crashed' | 'retired';
  /** Exit code, or `null` when a signal ended it. */
  readonly code: number | null;
  /** The signal that ended it, or `null`. */
  readonly signal: string | null;
};
