import type {
  AddOutcome,
  JobCounts,
  JobStore,
  NewJob,
  StoredJob,
  TakeRequest,
  TakeResult,
} from './JobStore.js';
import { MemoryPartition } from './memory/MemoryPartition.js';
import { WakeWaiters } from './WakeWaiters.js';

/**
 * The embedded {@link JobStore}: every queue's jobs in this process's memory. The default when a
 * `JobQueue` is given no store, for tests and single-process use. **Not durable**: a crash or
 * restart loses every job, and workers in other processes cannot see it. Use `RedisJobStore` for
 * jobs that must outlive the process.
 *
 * @example
 * {@includeCode ./JobQueue.test.ts#memoryStore}
 */
export class MemoryJobStore implements JobStore {
  /** `memory`. */
  readonly name = 'memory';
  readonly #partitions = new Map<string, MemoryPartition>();
  readonly #waiters = new WakeWaiters();

  /** {@inheritDoc JobStore.add} */
  async add(queue: string, partition: number, jobs: readonly NewJob[], now: number): Promise<AddOutcome[]> {
    const outcomes = this.#partition(queue, partition).add(jobs, now);
    if (outcomes.includes('added')) this.#waiters.wake(queue);
    return outcomes;
  }

  /** {@inheritDoc JobStore.take} */
  async take(request: TakeRequest): Promise<TakeResult> {
    const result = this.#partition(request.queue, request.partition).take(request);
    // A settlement can free a key or hand a job back: other workers may have work now.
    if (request.settle.length > 0) this.#waiters.wake(request.queue);
    return result;
  }

  /** {@inheritDoc JobStore.extend} */
  async extend(
    queue: string,
    partition: number,
    leases: readonly { readonly id: string; readonly token: string }[],
    now: number,
    leaseMs: number,
  ): Promise<string[]> {
    return this.#partition(queue, partition).extend(leases, now + leaseMs);
  }

  /** {@inheritDoc JobStore.counts} */
  async counts(queue: string, partitions: number): Promise<JobCounts> {
    const total = { waiting: 0, delayed: 0, active: 0, completed: 0, failed: 0, dead: 0 };
    for (let p = 0; p < partitions; p++) {
      const counts = this.#partitions.get(partitionName(queue, p))?.counts();
      if (counts === undefined) continue;
      for (const state of Object.keys(total) as (keyof JobCounts)[]) total[state] += counts[state];
    }
    return total;
  }

  /** {@inheritDoc JobStore.getJob} */
  async getJob(queue: string, partition: number, id: string): Promise<StoredJob | undefined> {
    return this.#partitions.get(partitionName(queue, partition))?.getJob(id);
  }

  /** {@inheritDoc JobStore.retryDead} */
  async retryDead(queue: string, partition: number, limit: number, now: number): Promise<number> {
    const moved = this.#partitions.get(partitionName(queue, partition))?.retryDead(limit, now) ?? 0;
    if (moved > 0) this.#waiters.wake(queue);
    return moved;
  }

  /** {@inheritDoc JobStore.waitForWork} */
  waitForWork(queue: string, timeoutMs: number, signal: AbortSignal): Promise<void> {
    return this.#waiters.wait(queue, timeoutMs, signal);
  }

  /** Nothing to release: the jobs stay for other queues on this store. */
  async close(): Promise<void> {}

  #partition(queue: string, partition: number): MemoryPartition {
    const name = partitionName(queue, partition);
    let found = this.#partitions.get(name);
    if (found === undefined) {
      found = new MemoryPartition();
      this.#partitions.set(name, found);
    }
    return found;
  }
}

// A queue name may contain anything, so the partition number goes first, where no name can fake it.
function partitionName(queue: string, partition: number): string {
  return `${partition}:${queue}`;
}
