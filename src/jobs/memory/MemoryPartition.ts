// One partition of one queue in memory: the state machine every store must implement, written
// plainly so the model test can check it and docs/jobs.md can describe it. A job is in exactly
// one of: the ready heap (it may run now), its key's line (due, but another job holds the key),
// the delayed heap (`delayed`, or `failed` and waiting out its retry), leased (`active`), or
// finished (`completed`, `dead`).
import { randomUUID } from 'node:crypto';
import type {
  AddOutcome,
  JobCounts,
  JobState,
  LeasedJob,
  NewJob,
  Settlement,
  StoredJob,
  TakeRequest,
  TakeResult,
} from '../JobStore.js';
import { MinHeap } from './MinHeap.js';

type JobRecord = {
  readonly job: NewJob;
  /** Add order: breaks ties of `score`, so equal scores run first in, first out. */
  readonly seq: number;
  state: JobState;
  /** In the state `waiting` with a key: whether it holds the key (and is in the ready heap). */
  dueAt: number;
  token: string | undefined;
  leaseUntil: number | undefined;
  failures: number;
  interruptions: number;
  lastError: string | undefined;
  lastDelayMs: number;
  finishedAt: number | undefined;
  result: string | undefined;
};

type LeaseEntry = { readonly record: JobRecord; readonly token: string; readonly leaseUntil: number };

/** A key's holder (the one job of the key that may be ready, active or retrying) and its line. */
type KeyLine = { holder: JobRecord | undefined; readonly line: JobRecord[] };

const EMPTY_COUNTS: JobCounts = { waiting: 0, delayed: 0, active: 0, completed: 0, failed: 0, dead: 0 };

/** @internal */
export class MemoryPartition {
  readonly #jobs = new Map<string, JobRecord>();
  readonly #ready = new MinHeap<JobRecord>(
    (a, b) => a.job.score < b.job.score || (a.job.score === b.job.score && a.seq < b.seq),
  );
  readonly #delayed = new MinHeap<JobRecord>(
    (a, b) => a.dueAt < b.dueAt || (a.dueAt === b.dueAt && a.seq < b.seq),
  );
  readonly #leases = new MinHeap<LeaseEntry>((a, b) => a.leaseUntil < b.leaseUntil);
  readonly #keys = new Map<string, KeyLine>();
  /** Finished jobs in the order they finished: Map keeps insertion order, oldest first. */
  readonly #completed = new Map<string, JobRecord>();
  readonly #dead = new Map<string, JobRecord>();
  readonly #counts: Record<JobState, number> = { ...EMPTY_COUNTS };
  #seq = 0;

  add(jobs: readonly NewJob[], now: number): AddOutcome[] {
    return jobs.map((job) => {
      if (this.#jobs.has(job.id)) return 'duplicate';
      const record: JobRecord = {
        job,
        seq: this.#seq++,
        state: 'delayed',
        dueAt: job.dueAt,
        token: undefined,
        leaseUntil: undefined,
        failures: 0,
        interruptions: 0,
        lastError: undefined,
        lastDelayMs: 0,
        finishedAt: undefined,
        result: undefined,
      };
      this.#jobs.set(job.id, record);
      this.#counts.delayed++;
      if (job.dueAt > now) this.#delayed.push(record);
      else this.#becomeDue(record);
      return 'added';
    });
  }

  take(request: TakeRequest): TakeResult {
    const { now } = request;
    const lost: string[] = [];
    for (const settlement of request.settle) {
      if (!this.#settle(settlement, now)) lost.push(settlement.id);
    }
    const stalled = this.#recoverExpired(now, request.sweepLimit);
    this.#promoteDue(now, request.sweepLimit);
    const jobs: LeasedJob[] = [];
    while (jobs.length < request.max) {
      const record = this.#ready.pop();
      if (record === undefined) break;
      jobs.push(this.#lease(record, now + request.leaseMs));
    }
    this.#trimCompleted(now, request.keepCompleted, request.keepCompletedMs);
    return { jobs, lost, stalled, nextAt: this.#nextAt() };
  }

  extend(leases: readonly { readonly id: string; readonly token: string }[], leaseUntil: number): string[] {
    const lost: string[] = [];
    for (const { id, token } of leases) {
      const record = this.#jobs.get(id);
      if (record?.state !== 'active' || record.token !== token) {
        lost.push(id);
        continue;
      }
      record.leaseUntil = leaseUntil;
      this.#leases.push({ record, token, leaseUntil });
    }
    return lost;
  }

  counts(): JobCounts {
    return { ...this.#counts };
  }

  getJob(id: string): StoredJob | undefined {
    const record = this.#jobs.get(id);
    if (record === undefined) return undefined;
    return {
      ...record.job,
      dueAt: record.dueAt,
      state: record.state,
      leaseUntil: record.state === 'active' ? record.leaseUntil : undefined,
      failures: record.failures,
      interruptions: record.interruptions,
      lastError: record.lastError,
      lastDelayMs: record.lastDelayMs,
      finishedAt: record.finishedAt,
      result: record.result,
    };
  }

  retryDead(limit: number, now: number): number {
    let moved = 0;
    for (const record of this.#dead.values()) {
      if (moved >= limit) break;
      this.#dead.delete(record.job.id);
      record.failures = 0;
      record.lastDelayMs = 0;
      record.finishedAt = undefined;
      record.dueAt = now;
      this.#setState(record, 'delayed');
      this.#becomeDue(record);
      moved++;
    }
    return moved;
  }

  /** Applies one settlement; `false` when its lease no longer holds. */
  #settle(settlement: Settlement, now: number): boolean {
    const record = this.#jobs.get(settlement.id);
    if (record === undefined || record.token !== settlement.token) return false;
    // A lease settled already (a retried call whose first answer was lost): done, nothing to do.
    if (record.state !== 'active') return true;
    // The token stays until the next lease, so that a retried settlement finds it (recovery of an
    // expired lease clears it instead: a late settlement of that lease is refused).
    record.leaseUntil = undefined;
    switch (settlement.kind) {
      case 'complete':
        record.result = settlement.result;
        this.#finish(record, 'completed', now);
        this.#completed.set(record.job.id, record);
        break;
      case 'dead':
        record.failures++;
        record.lastError = settlement.error;
        this.#finish(record, 'dead', now);
        this.#dead.set(record.job.id, record);
        break;
      case 'retry':
        // It keeps its key through the wait, so the key's later jobs stay behind it.
        record.failures++;
        record.lastError = settlement.error;
        record.lastDelayMs = settlement.delayMs;
        record.dueAt = settlement.dueAt;
        this.#setState(record, 'failed');
        this.#delayed.push(record);
        break;
      case 'release':
        record.interruptions++;
        this.#setState(record, 'waiting');
        this.#ready.push(record);
        break;
    }
    return true;
  }

  #recoverExpired(now: number, limit: number): string[] {
    const stalled: string[] = [];
    for (
      let top = this.#leases.peek();
      top !== undefined && top.leaseUntil <= now;
      top = this.#leases.peek()
    ) {
      const { record, token, leaseUntil } = top;
      const current = record.state === 'active' && record.token === token && record.leaseUntil === leaseUntil;
      if (current && stalled.length >= limit) break;
      this.#leases.pop();
      if (!current) continue; // settled, or renewed: a later entry stands for it
      record.token = undefined;
      record.leaseUntil = undefined;
      record.interruptions++;
      this.#setState(record, 'waiting');
      this.#ready.push(record); // it still holds its key: back to its old place
      stalled.push(record.job.id);
    }
    return stalled;
  }

  #promoteDue(now: number, limit: number): void {
    for (let moved = 0; moved < limit; moved++) {
      const top = this.#delayed.peek();
      if (top === undefined || top.dueAt > now) return;
      this.#delayed.pop();
      if (top.state === 'failed') {
        this.#setState(top, 'waiting');
        this.#ready.push(top); // a retry holds its key already
      } else {
        this.#becomeDue(top);
      }
    }
  }

  /** A job from `delayed` becomes due: ready, unless another job holds its key. */
  #becomeDue(record: JobRecord): void {
    this.#setState(record, 'waiting');
    const key = record.job.key;
    if (key === undefined) {
      this.#ready.push(record);
      return;
    }
    const line = this.#keys.get(key);
    if (line === undefined) {
      this.#keys.set(key, { holder: record, line: [] });
      this.#ready.push(record);
    } else if (line.holder === undefined) {
      line.holder = record;
      this.#ready.push(record);
    } else {
      line.line.push(record);
    }
  }

  #lease(record: JobRecord, leaseUntil: number): LeasedJob {
    const token = randomUUID();
    record.token = token;
    record.leaseUntil = leaseUntil;
    this.#setState(record, 'active');
    this.#leases.push({ record, token, leaseUntil });
    return {
      ...record.job,
      dueAt: record.dueAt,
      token,
      leaseUntil,
      failures: record.failures,
      interruptions: record.interruptions,
      lastError: record.lastError,
      lastDelayMs: record.lastDelayMs,
    };
  }

  #finish(record: JobRecord, state: 'completed' | 'dead', now: number): void {
    record.finishedAt = now;
    this.#setState(record, state);
    const key = record.job.key;
    if (key === undefined) return;
    const line = this.#keys.get(key);
    if (line === undefined) return;
    const next = line.line.shift();
    line.holder = next;
    if (next === undefined) this.#keys.delete(key);
    else this.#ready.push(next);
  }

  #trimCompleted(now: number, keep: number, keepMs: number): void {
    for (const record of this.#completed.values()) {
      if (this.#completed.size <= keep && (record.finishedAt as number) > now - keepMs) return;
      this.#completed.delete(record.job.id);
      this.#jobs.delete(record.job.id);
      this.#counts.completed--;
    }
  }

  #nextAt(): number | undefined {
    const due = this.#delayed.peek()?.dueAt;
    const lease = this.#leases.peek()?.leaseUntil;
    if (due === undefined) return lease;
    return lease === undefined ? due : Math.min(due, lease);
  }

  #setState(record: JobRecord, state: JobState): void {
    this.#counts[record.state]--;
    this.#counts[state]++;
    record.state = state;
  }
}
