// A worker's one conversation with its store. Each round settles every finished job and leases
// as many jobs as there are free slots, in one store call per partition: with a store on the
// network, jobs that finish while a call is in flight are settled together in the next one, so
// a busy worker makes about one round trip per batch, not per job.
import { setImmediate as nextMacrotask } from 'node:timers/promises';
import type { JobStore, LeasedJob, Settlement } from './JobStore.js';

/** What the loop needs from its worker. @internal */
export type WorkerLoopParts = {
  readonly store: JobStore;
  readonly queue: string;
  readonly partitions: number;
  readonly leaseMs: number;
  readonly sweepLimit: number;
  readonly keepCompleted: number;
  readonly keepCompletedMs: number;
  readonly pollIntervalMs: number;
  /** The worker's concurrency. */
  readonly concurrency: number;
  /** Jobs the worker would start now: 0 while closing or under critical load. */
  freeSlots(): number;
  start(job: LeasedJob, partition: number): void;
  stalled(ids: readonly string[]): void;
  storeFailed(operation: string, error: unknown, retryInMs: number): void;
};

type Round = 'busy' | 'full' | 'idle' | 'failed';

/** A settlement and who to tell whether the store applied it (`false`: its lease was lost). */
type PendingSettlement = { readonly settlement: Settlement; readonly applied: (applied: boolean) => void };

const FIRST_RETRY_MS = 50;
const ROUNDS_IN_FLIGHT = 2;
const KICKED = Symbol('kicked');

/** @internal */
export class WorkerLoop {
  readonly #parts: WorkerLoopParts;
  #pending = new Map<number, PendingSettlement[]>();
  #nextPartition = 0;
  #emptyStreak = 0;
  #nextAt: number | undefined;
  #retryMs: number;
  #kicked = false;
  #wake: AbortController | undefined;
  #stopping = false;
  /** Rounds whose store calls are in flight, and the slots they may fill. */
  #inFlight = 0;
  #reserved = 0;
  readonly #share: number;
  /** How the last round to finish ended. */
  #last: Round = 'busy';
  readonly #done: Promise<void>;

  constructor(parts: WorkerLoopParts) {
    this.#parts = parts;
    this.#retryMs = Math.min(FIRST_RETRY_MS, parts.pollIntervalMs);
    this.#share = Math.ceil(parts.concurrency / ROUNDS_IN_FLIGHT);
    this.#done = this.#run();
  }

  /**
   * Queues a settlement for the next round; `applied` hears whether the store applied it, once
   * it answered (a settlement whose call failed is sent again).
   */
  settle(partition: number, settlement: Settlement, applied: (applied: boolean) => void): void {
    const entry = { settlement, applied };
    const list = this.#pending.get(partition);
    if (list === undefined) this.#pending.set(partition, [entry]);
    else list.push(entry);
    this.kick();
  }

  /** Something changed (a free slot, a settlement, the load): run a round soon. */
  kick(): void {
    this.#kicked = true;
    // With a reason of our own: abort() without one builds a DOMException and its stack, which
    // cost 13 % of a busy worker's CPU.
    this.#wake?.abort(KICKED);
  }

  /** Flushes the pending settlements (one try) and ends the loop. */
  stop(): Promise<void> {
    this.#stopping = true;
    this.kick();
    return this.#done;
  }

  async #run(): Promise<void> {
    for (;;) {
      this.#kicked = false;
      if (this.#stopping && this.#inFlight === 0 && (this.#pending.size === 0 || this.#last === 'failed'))
        return;
      const free = this.#stopping ? 0 : this.#parts.freeSlots() - this.#reserved;
      const wanted = this.#pending.size > 0 || (free > 0 && this.#last !== 'idle');
      if (wanted && this.#last !== 'failed' && this.#inFlight < ROUNDS_IN_FLIGHT) {
        // Two rounds may be in flight: the store works on one while this process handles the
        // other's jobs, so neither waits for the other.
        this.#inFlight++;
        void this.#round().then((round) => {
          this.#inFlight--;
          this.#last = round;
          this.kick();
        });
        // Yield to timers and I/O: with an in-memory store a round never leaves the microtask queue.
        await nextMacrotask();
        continue;
      }
      if (this.#inFlight > 0) {
        await this.#sleep(this.#parts.pollIntervalMs, false); // until a round ends
      } else if (this.#last === 'failed') {
        await this.#sleep(this.#retryMs, false);
        this.#retryMs = Math.min(this.#retryMs * 2, this.#parts.pollIntervalMs);
        this.#last = 'busy';
      } else if (this.#last === 'idle') {
        await this.#sleep(this.#idleMs(), true);
        this.#last = 'busy';
      } else {
        await this.#sleep(this.#parts.pollIntervalMs, false); // full: until a slot frees
      }
    }
  }

  async #round(): Promise<Round> {
    const parts = this.#parts;
    // Each round leases at most its share of the slots, so the rounds in flight overlap.
    const free = this.#stopping ? 0 : Math.min(this.#share, Math.max(0, parts.freeSlots() - this.#reserved));
    const calls = new Map<number, { settle: PendingSettlement[]; max: number }>();
    for (const [partition, settle] of this.#pending) calls.set(partition, { settle, max: 0 });
    this.#pending = new Map();
    let target: number | undefined;
    if (free > 0) {
      target = this.#nextPartition;
      this.#nextPartition = (target + 1) % parts.partitions;
      const call = calls.get(target) ?? { settle: [], max: 0 };
      call.max = free;
      calls.set(target, call);
    }
    if (calls.size === 0) return free > 0 ? 'idle' : 'full';
    const now = Date.now();
    // Slots for the jobs this call may lease, until they start.
    this.#reserved += free;
    const outcomes = await Promise.allSettled(
      [...calls].map(([partition, call]) =>
        parts.store.take({
          queue: parts.queue,
          partition,
          settle: call.settle.map((entry) => entry.settlement),
          max: call.max,
          now,
          leaseMs: parts.leaseMs,
          sweepLimit: parts.sweepLimit,
          keepCompleted: parts.keepCompleted,
          keepCompletedMs: parts.keepCompletedMs,
        }),
      ),
    );
    this.#reserved -= free;
    let failure: unknown;
    let leased = 0;
    let nextAt: number | undefined;
    [...calls].forEach(([partition, call], i) => {
      const outcome = outcomes[i] as PromiseSettledResult<Awaited<ReturnType<JobStore['take']>>>;
      if (outcome.status === 'rejected') {
        // Try these settlements again: one the store did apply is reported lost, never applied twice.
        failure = outcome.reason;
        const later = this.#pending.get(partition) ?? [];
        this.#pending.set(partition, [...call.settle, ...later]);
        return;
      }
      const result = outcome.value;
      const lost = new Set(result.lost);
      for (const entry of call.settle) entry.applied(!lost.has(entry.settlement.id));
      if (result.stalled.length > 0) parts.stalled(result.stalled);
      for (const job of result.jobs) parts.start(job, partition);
      if (partition === target) leased = result.jobs.length;
      if (result.nextAt !== undefined) nextAt = Math.min(nextAt ?? result.nextAt, result.nextAt);
    });
    if (failure !== undefined) {
      parts.storeFailed('take', failure, this.#retryMs);
      return 'failed';
    }
    this.#retryMs = Math.min(FIRST_RETRY_MS, parts.pollIntervalMs);
    this.#nextAt = nextAt;
    if (target === undefined) return 'busy';
    this.#emptyStreak = leased > 0 ? 0 : this.#emptyStreak + 1;
    return this.#emptyStreak >= parts.partitions ? 'idle' : 'busy';
  }

  /** Until the poll interval, or the next due job or lease deadline seen, whichever is first. */
  #idleMs(): number {
    const poll = this.#parts.pollIntervalMs;
    if (this.#nextAt === undefined) return poll;
    return Math.max(1, Math.min(poll, this.#nextAt - Date.now()));
  }

  /** Sleeps `ms`, ending early on a kick (and, when `forWork`, on the store's hint of new work). */
  async #sleep(ms: number, forWork: boolean): Promise<void> {
    if (this.#kicked) return;
    const wake = new AbortController();
    this.#wake = wake;
    try {
      if (forWork) {
        await this.#parts.store.waitForWork(this.#parts.queue, ms, wake.signal);
      } else {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, ms);
          wake.signal.addEventListener('abort', () => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
    } catch {
      // waitForWork is a hint: a failed wait is one more poll.
    } finally {
      this.#wake = undefined;
      if (forWork) this.#emptyStreak = 0;
    }
  }
}
