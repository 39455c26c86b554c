import { hostname } from 'node:os';
import type { ClusterBusRelay } from '../bus/ClusterBusRelay.js';
import { relayLinks } from '../bus/ClusterBusRelay.js';
import type { ManagedWorker } from '../ManagedWorker.js';
import {
  WORKER_EXITED_CHANNEL,
  WORKER_ONLINE_CHANNEL,
  type WorkerExitedNotice,
  type WorkerOnlineNotice,
} from './lifecycleNotices.js';

/** Publishes {@link WorkerOnlineNotice} to every bus of the cluster. @internal */
export function announceWorkerOnline(relay: ClusterBusRelay, m: ManagedWorker): void {
  const notice: WorkerOnlineNotice = { pid: m.pid, host: hostname(), slot: m.slot.id };
  relayLinks.get(relay)?.publish(WORKER_ONLINE_CHANNEL, notice);
}

/** Publishes {@link WorkerExitedNotice} to every bus of the cluster. @internal */
export function announceWorkerGone(
  relay: ClusterBusRelay,
  m: ManagedWorker,
  code: number | null,
  signal: string | null,
  expected: boolean,
): void {
  const notice: WorkerExitedNotice = {
    pid: m.pid,
    host: hostname(),
    slot: m.slot.id,
    reason: expected ? 'retired' : 'crashed',
    code,
    signal,
  };
  relayLinks.get(relay)?.publish(WORKER_EXITED_CHANNEL, notice);
}
