import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PriorityTaskQueue } from './PriorityTaskQueue.js';

// The queue against a sorted-array model: any sequence of adds (priorities, aborts), completions,
// failures, pauses and concurrency changes starts tasks in the model's order, never runs more
// than the concurrency, settles every promise and runs nothing after close() resolves.

const LEVELS = ['critical', 'high', 'medium', 'low'] as const;
const rankOf = (p: string | number): number =>
  typeof p === 'number' ? p : LEVELS.length - 1 - LEVELS.indexOf(p as (typeof LEVELS)[number]);

type ModelTask = { readonly id: number; readonly rank: number };

type Model = {
  queued: ModelTask[];
  running: number[];
  started: number[];
  paused: boolean;
  concurrency: number;
};

type Real = {
  queue: PriorityTaskQueue;
  started: number[];
  gates: Map<number, { open: () => void; fail: () => void }>;
  controllers: Map<number, AbortController>;
  settled: Set<number>;
  promises: Promise<unknown>[];
  nextId: number;
  overCap: number;
};

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

function drainModel(m: Model): void {
  while (!m.paused && m.running.length < m.concurrency && m.queued.length > 0) {
    // Highest rank first, FIFO (lowest id) among equals: a stable sort of the array model.
    let best = 0;
    for (let i = 1; i < m.queued.length; i++) {
      const t = m.queued[i] as ModelTask;
      if (t.rank > (m.queued[best] as ModelTask).rank) best = i;
    }
    const [task] = m.queued.splice(best, 1);
    m.running.push((task as ModelTask).id);
    m.started.push((task as ModelTask).id);
  }
}

function check(m: Model, r: Real): void {
  expect(r.started).toEqual(m.started);
  expect(r.queue.pending).toBe(m.running.length);
  expect(r.queue.size).toBe(m.queued.length);
}

class AddCommand implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly priority: string | number,
    readonly withSignal: boolean,
  ) {}
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    const id = r.nextId++;
    const controller = this.withSignal ? new AbortController() : undefined;
    if (controller !== undefined) r.controllers.set(id, controller);
    const promise = r.queue.add(
      () =>
        new Promise<void>((resolve, reject) => {
          r.started.push(id);
          if (r.queue.pending > r.queue.concurrency) r.overCap++;
          r.gates.set(id, { open: resolve, fail: () => reject(new Error(`task ${id} failed`)) });
        }),
      controller === undefined
        ? { priority: this.priority }
        : { priority: this.priority, signal: controller.signal },
    );
    r.promises.push(
      promise.then(
        () => r.settled.add(id),
        () => r.settled.add(id),
      ),
    );
    m.queued.push({ id, rank: rankOf(this.priority) });
    drainModel(m);
    await flush();
    check(m, r);
  }
  toString = () => `add(${JSON.stringify(this.priority)}${this.withSignal ? ', signal' : ''})`;
}

class SettleCommand implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly pick: number,
    readonly fail: boolean,
  ) {}
  check = (m: Readonly<Model>) => m.running.length > 0;
  async run(m: Model, r: Real): Promise<void> {
    const index = this.pick % m.running.length;
    const [id] = m.running.splice(index, 1);
    const g = r.gates.get(id as number);
    if (this.fail) g?.fail();
    else g?.open();
    drainModel(m);
    await flush();
    check(m, r);
  }
  toString = () => `${this.fail ? 'fail' : 'complete'}(#${this.pick})`;
}

class AbortCommand implements fc.AsyncCommand<Model, Real> {
  constructor(readonly pick: number) {}
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    const ids = [...r.controllers.keys()];
    if (ids.length === 0) return;
    const id = ids[this.pick % ids.length] as number;
    (r.controllers.get(id) as AbortController).abort(new Error('abort'));
    r.controllers.delete(id);
    const queuedIndex = m.queued.findIndex((t) => t.id === id);
    if (queuedIndex >= 0) m.queued.splice(queuedIndex, 1);
    const runningIndex = m.running.indexOf(id);
    if (runningIndex >= 0) m.running.splice(runningIndex, 1); // its slot is freed at once
    drainModel(m);
    await flush();
    check(m, r);
  }
  toString = () => `abort(#${this.pick})`;
}

class PauseCommand implements fc.AsyncCommand<Model, Real> {
  constructor(readonly paused: boolean) {}
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    if (this.paused) r.queue.pause();
    else r.queue.resume();
    m.paused = this.paused;
    drainModel(m);
    await flush();
    check(m, r);
  }
  toString = () => (this.paused ? 'pause' : 'resume');
}

class ConcurrencyCommand implements fc.AsyncCommand<Model, Real> {
  constructor(readonly concurrency: number) {}
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    r.queue.concurrency = this.concurrency;
    m.concurrency = this.concurrency;
    drainModel(m);
    await flush();
    check(m, r);
  }
  toString = () => `concurrency = ${this.concurrency}`;
}

const priorityArb = fc.oneof(fc.constantFrom(...LEVELS), fc.integer({ min: -2, max: 5 }));

const commandsArb = fc.commands(
  [
    fc.tuple(priorityArb, fc.boolean()).map(([p, s]) => new AddCommand(p, s)),
    fc.tuple(fc.nat(), fc.boolean()).map(([pick, fail]) => new SettleCommand(pick, fail)),
    fc.nat().map((pick) => new AbortCommand(pick)),
    fc.boolean().map((paused) => new PauseCommand(paused)),
    fc.integer({ min: 1, max: 4 }).map((c) => new ConcurrencyCommand(c)),
  ],
  { maxCommands: 60 },
);

describe('PriorityTaskQueue (model)', () => {
  it('starts tasks in model order, respects concurrency, settles everything, runs nothing after close', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 4 }),
        fc.boolean(),
        commandsArb,
        async (concurrency, heap, commands) => {
          // A standing clock with aging on selects the heap store (the default is buckets) and
          // keeps the model's strict order.
          const queue = new PriorityTaskQueue(
            heap ? { concurrency, aging: { intervalMs: 1_000 }, clock: { now: () => 0 } } : { concurrency },
          );
          const real: Real = {
            queue,
            started: [],
            gates: new Map(),
            controllers: new Map(),
            settled: new Set(),
            promises: [],
            nextId: 0,
            overCap: 0,
          };
          const model: Model = { queued: [], running: [], started: [], paused: false, concurrency };
          await fc.asyncModelRun(() => ({ model, real }), commands);

          // Close: accepted work still runs, in model order, until nothing is left.
          let closed = false;
          const closing = queue.close().then(() => {
            closed = true;
          });
          model.paused = false;
          drainModel(model);
          await flush();
          while (model.running.length > 0) {
            const id = model.running.shift() as number;
            real.gates.get(id)?.open();
            drainModel(model);
            await flush();
            check(model, real);
          }
          await closing;
          expect(closed).toBe(true);
          const startedAtClose = real.started.length;
          await expect(queue.add(async () => 1)).rejects.toMatchObject({ code: 'ERR_LOADSTONE_CLOSED' });
          await flush();
          expect(real.started.length).toBe(startedAtClose);
          await Promise.all(real.promises);
          expect(real.settled.size).toBe(real.nextId);
          expect(real.overCap).toBe(0);
          expect(queue.stats()).toMatchObject({ queued: 0, running: 0 });
        },
      ),
      { numRuns: 150, interruptAfterTimeLimit: 15_000, markInterruptAsFailure: true },
    );
  });
});
