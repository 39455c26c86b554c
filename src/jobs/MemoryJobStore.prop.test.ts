import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { LeasedJob, NewJob, Settlement, TakeRequest } from './JobStore.js';
import { MemoryJobStore } from './MemoryJobStore.js';

// The memory store under any interleaving of adds, takes, completions, failures (retried or
// dead), hand-backs, crashed workers (leases left to expire), renewals, dead-job retries and the
// passing of time. After every step: each job is in exactly one state, no two jobs of a key are
// active, a keyed job is leased only once every earlier job of its key has finished, and no job
// completes twice. At the end, with time run forward and a worker draining the queue, every job
// has completed or is dead: nothing was lost.

const QUEUE = 'model';
const LEASE_MS = 100;
const KEYS = ['a', 'b'] as const;

type Action =
  | { kind: 'add'; key: number | undefined; delay: number; priority: number; repeatId: boolean }
  | { kind: 'take'; max: number }
  | { kind: 'complete' | 'retry' | 'dead' | 'release' | 'extend'; pick: number; delay: number }
  | { kind: 'crash' }
  | { kind: 'retryDead' }
  | { kind: 'tick'; ms: number };

const action: fc.Arbitrary<Action> = fc.oneof(
  fc.record({
    kind: fc.constant('add' as const),
    key: fc.option(fc.integer({ min: 0, max: KEYS.length - 1 }), { nil: undefined }),
    delay: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 300 })),
    priority: fc.integer({ min: 0, max: 3 }),
    repeatId: fc.boolean(),
  }),
  {
    arbitrary: fc.record({ kind: fc.constant('take' as const), max: fc.integer({ min: 0, max: 4 }) }),
    weight: 2,
  },
  {
    arbitrary: fc.record({
      kind: fc.constantFrom(
        'complete' as const,
        'retry' as const,
        'dead' as const,
        'release' as const,
        'extend' as const,
      ),
      pick: fc.nat(),
      delay: fc.oneof(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 200 })),
    }),
    weight: 3,
  },
  fc.record({ kind: fc.constant('crash' as const) }),
  { arbitrary: fc.record({ kind: fc.constant('retryDead' as const) }), weight: 2 },
  fc.record({
    kind: fc.constant('tick' as const),
    ms: fc.oneof(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 150 })),
  }),
);

type ModelJob = {
  readonly id: string;
  readonly key: string | undefined;
  readonly order: number;
  finished: boolean;
};

class Harness {
  readonly store = new MemoryJobStore();
  now = 1_000_000;
  readonly jobs = new Map<string, ModelJob>();
  /** Leases this harness holds (a crashed worker's are forgotten, not settled). */
  held: LeasedJob[] = [];
  /** Every token ever issued, with its job: a stale one may be settled later. */
  readonly stale: LeasedJob[] = [];
  readonly completions = new Map<string, number>();
  /** Tokens whose lease a settlement ended. */
  readonly settledTokens = new Set<string>();
  /** The latest token issued for each job. */
  readonly #tokens = new Map<string, string>();
  #nextId = 0;
  #order = 0;

  async add(a: Extract<Action, { kind: 'add' }>): Promise<void> {
    const known = [...this.jobs.keys()];
    const id =
      a.repeatId && known.length > 0 ? (known[a.priority % known.length] as string) : `job-${this.#nextId++}`;
    const key = a.key === undefined ? undefined : KEYS[a.key];
    if (this.jobs.has(id)) {
      const before = await this.store.counts(QUEUE, 1);
      const outcome = await this.store.add(QUEUE, 0, [this.job(id, this.jobs.get(id)?.key, 0, 0)], this.now);
      expect(outcome).toEqual(['duplicate']);
      expect(await this.store.counts(QUEUE, 1)).toEqual(before);
      return;
    }
    // Keyed jobs join their key's line when due: keep them undelayed so add order is key order.
    const delay = key === undefined ? a.delay : 0;
    expect(await this.store.add(QUEUE, 0, [this.job(id, key, delay, a.priority)], this.now)).toEqual([
      'added',
    ]);
    this.jobs.set(id, { id, key, order: this.#order++, finished: false });
  }

  async take(max: number, settle: Settlement[] = []): Promise<{ lost: readonly string[] }> {
    const request: TakeRequest = {
      queue: QUEUE,
      partition: 0,
      settle,
      max,
      now: this.now,
      leaseMs: LEASE_MS,
      sweepLimit: 1, // so that expired leases and due jobs outnumber it often
      keepCompleted: 1_000_000,
      keepCompletedMs: 1e12,
    };
    const result = await this.store.take(request);
    // Settlements apply before the call leases anything: book them first. A repeated settlement
    // of a lease already ended is accepted and changes nothing.
    for (const settlement of settle) {
      if (result.lost.includes(settlement.id) || this.settledTokens.has(settlement.token)) continue;
      this.settledTokens.add(settlement.token);
      if (settlement.kind === 'complete')
        this.completions.set(settlement.id, (this.completions.get(settlement.id) ?? 0) + 1);
      if (settlement.kind === 'complete' || settlement.kind === 'dead')
        (this.jobs.get(settlement.id) as ModelJob).finished = true;
    }
    for (const job of result.jobs) {
      expect(job.dueAt).toBeLessThanOrEqual(this.now); // none runs early
      this.checkKeyOrder(job);
      this.held.push(job);
      this.stale.push(job);
    }
    return result;
  }

  async settle(kind: 'complete' | 'retry' | 'dead' | 'release', pick: number, delay: number): Promise<void> {
    // Now and then settle a stale lease instead: the store must refuse it.
    const useStale = pick % 5 === 0 && this.stale.length > 0;
    const pool = useStale ? this.stale : this.held;
    if (pool.length === 0) return;
    const lease = pool[pick % pool.length] as LeasedJob;
    this.held = this.held.filter((held) => held !== lease);
    const { id, token } = lease;
    const settlement: Settlement =
      kind === 'complete'
        ? { kind, id, token, result: undefined }
        : kind === 'retry'
          ? { kind, id, token, error: 'boom', dueAt: this.now + delay, delayMs: delay }
          : kind === 'dead'
            ? { kind, id, token, error: 'boom' }
            : { kind, id, token };
    const before = await this.store.getJob(QUEUE, 0, id);
    const ended = this.settledTokens.has(token);
    const { lost } = await this.take(0, [settlement]);
    const applied = !lost.includes(id);
    // Applied exactly when this is the job's latest lease and it is still active (a lease past
    // its end that nobody has recovered yet still counts), or was ended by a settlement already.
    expect(applied).toBe(this.#tokens.get(id) === token && (before?.state === 'active' || ended));
  }

  async extend(pick: number): Promise<void> {
    if (this.held.length === 0) return;
    const lease = this.held[pick % this.held.length] as LeasedJob;
    const lost = await this.store.extend(QUEUE, 0, [lease], this.now, LEASE_MS);
    if (lost.length === 0) {
      const renewed = { ...lease, leaseUntil: this.now + LEASE_MS };
      this.held = this.held.map((held) => (held === lease ? renewed : held));
      this.stale.push(renewed);
    }
  }

  async retryDead(): Promise<void> {
    const dead = [...this.jobs.values()].filter((job) => job.finished && !this.completions.has(job.id));
    const moved = await this.store.retryDead(QUEUE, 0, 2, this.now);
    expect(moved).toBe(Math.min(2, dead.length));
    // Which ones moved is the store's choice (oldest first): re-read them.
    for (const job of dead) {
      if ((await this.store.getJob(QUEUE, 0, job.id))?.state !== 'dead') {
        job.finished = false;
        // A retried dead job joins the end of its key's line.
        this.jobs.set(job.id, { ...job, order: this.#order++, finished: false });
      }
    }
  }

  isLatest(lease: LeasedJob): boolean {
    return this.#tokens.get(lease.id) === lease.token;
  }

  /** Every earlier job of the key must have finished before this one is leased. */
  checkKeyOrder(job: LeasedJob): void {
    this.#tokens.set(job.id, job.token);
    const mine = this.jobs.get(job.id) as ModelJob;
    if (mine.key === undefined) return;
    for (const other of this.jobs.values()) {
      if (other.key === mine.key && other.order < mine.order) expect(other.finished).toBe(true);
    }
  }

  async checkStates(): Promise<void> {
    const counts = await this.store.counts(QUEUE, 1);
    const total = Object.values(counts).reduce((sum, n) => sum + n, 0);
    expect(total).toBe(this.jobs.size);
    const activeKeys: string[] = [];
    for (const job of this.jobs.values()) {
      const stored = await this.store.getJob(QUEUE, 0, job.id);
      expect(stored).toBeDefined();
      if (stored?.state === 'active' && job.key !== undefined) activeKeys.push(job.key);
      expect(stored?.state === 'completed' || stored?.state === 'dead').toBe(job.finished);
    }
    expect(new Set(activeKeys).size).toBe(activeKeys.length);
    for (const n of this.completions.values()) expect(n).toBe(1);
  }

  job(id: string, key: string | undefined, delay: number, priority: number): NewJob {
    return {
      id,
      data: JSON.stringify(id),
      key,
      score: this.now + delay - priority * 50,
      priority: String(priority),
      dueAt: this.now + delay,
      addedAt: this.now,
      attempts: 3,
      backoff: { jitter: 'none', baseDelayMs: 1, maxDelayMs: 1 },
    };
  }
}

describe('MemoryJobStore (model)', () => {
  it('never loses a job, completes none twice, and runs one key one at a time in order', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(action, { minLength: 1, maxLength: 80 }), async (actions) => {
        const h = new Harness();
        for (const a of actions) {
          switch (a.kind) {
            case 'add':
              await h.add(a);
              break;
            case 'take':
              await h.take(a.max);
              break;
            case 'extend':
              await h.extend(a.pick);
              break;
            case 'crash':
              h.held = []; // its leases expire; nobody settles them
              break;
            case 'retryDead':
              await h.retryDead();
              break;
            case 'tick':
              h.now += a.ms;
              break;
            default:
              await h.settle(a.kind, a.pick, a.delay);
          }
          await h.checkStates();
        }
        // Drain: a healthy worker, time moving on, completes everything that is not dead.
        for (let round = 0; round < 10_000; round++) {
          const counts = await h.store.counts(QUEUE, 1);
          if (counts.waiting + counts.delayed + counts.active + counts.failed === 0) break;
          h.now += LEASE_MS;
          // Only each job's latest lease: an older one of the same job would be refused anyway.
          const settling = h.held.filter((lease) => h.isLatest(lease));
          h.held = [];
          const settle = settling.map(
            (lease): Settlement => ({
              kind: 'complete',
              id: lease.id,
              token: lease.token,
              result: undefined,
            }),
          );
          await h.take(10, settle); // a lease recovered after it ran out is refused: the job runs again
        }
        await h.checkStates();
        const counts = await h.store.counts(QUEUE, 1);
        expect(counts.completed + counts.dead).toBe(h.jobs.size);
      }),
      { numRuns: 2_000, interruptAfterTimeLimit: 15_000, markInterruptAsFailure: true },
    );
  });
});
