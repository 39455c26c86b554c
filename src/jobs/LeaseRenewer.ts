// Renews the leases of a worker's running jobs every third of the visibility timeout, one store
// call per partition (BullMQ's extendLocks does the same per worker, not per job).
import type { JobStore } from './JobStore.js';

/** What the renewer reads of a running job. @internal */
export type RenewableLease = {
  readonly ended: boolean;
  readonly partition: number;
  readonly job: { readonly id: string; readonly token: string };
};

/** @internal */
export class LeaseRenewer {
  readonly #timer: NodeJS.Timeout;

  constructor(
    private readonly store: JobStore,
    private readonly queue: string,
    private readonly leaseMs: number,
    private readonly running: () => Iterable<RenewableLease>,
    private readonly lost: (partition: number, ids: readonly string[]) => void,
    private readonly failed: (error: unknown) => void,
  ) {
    this.#timer = setInterval(() => void this.renew(), Math.max(1, Math.floor(leaseMs / 3)));
    // Running jobs keep the process alive, not the renewal of their leases.
    this.#timer.unref();
  }

  async renew(): Promise<void> {
    const byPartition = new Map<number, { id: string; token: string }[]>();
    for (const execution of this.running()) {
      if (execution.ended) continue;
      const list = byPartition.get(execution.partition) ?? [];
      list.push({ id: execution.job.id, token: execution.job.token });
      byPartition.set(execution.partition, list);
    }
    const now = Date.now();
    await Promise.all(
      [...byPartition].map(async ([partition, leases]) => {
        try {
          const lost = await this.store.extend(this.queue, partition, leases, now, this.leaseMs);
          if (lost.length > 0) this.lost(partition, lost);
        } catch (error) {
          this.failed(error);
        }
      }),
    );
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}
