/**
 * Property: whatever the interleaving of run / abort / close / destroy (and threads crashing),
 * every promise WorkerThreadPool hands out settles, and every task's handler runs at most once
 * (exactly once when its promise fulfils), counted inside the worker threads through shared
 * memory. Real threads, built package.
 */
import fc from 'fast-check';
import { WorkerThreadPool } from 'loadstone/threads';
import { describe, expect, it } from 'vitest';

/** The tasks of tasks.mjs, each counting its executions in `counts[slot]` first. */
const TASKS = new URL('../fixtures/threads/counted.mjs', import.meta.url);

type Command =
  | {
      readonly kind: 'run';
      readonly task: 'add' | 'delayed' | 'spin' | 'exit' | 'forever';
      readonly abortable: boolean;
    }
  | { readonly kind: 'abort'; readonly index: number }
  | { readonly kind: 'tick' }
  | { readonly kind: 'close' }
  | { readonly kind: 'destroy' };

const command: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('run' as const),
      task: fc.constantFrom('add', 'delayed', 'spin', 'exit', 'forever'),
      abortable: fc.boolean(),
    }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('abort' as const), index: fc.nat(40) }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'tick' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'close' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'destroy' as const }) },
);

describe('WorkerThreadPool properties', () => {
  it('settles every run promise and runs each task at most once (once if it fulfils), for any interleaving of run, abort, close and destroy', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(command, { minLength: 1, maxLength: 30 }),
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 0, max: 3 }),
        async (commands, pipelineDepth, maxQueue) => {
          const pool = new WorkerThreadPool({ filename: TASKS, maxThreads: 2, pipelineDepth, maxQueue });
          const controllers: AbortController[] = [];
          const outcomes: Promise<string>[] = [];
          // Executions per task, as counted by the handler in the worker thread.
          const counts = new Int32Array(new SharedArrayBuffer(4 * commands.length));
          let settled = 0;
          let closing: Promise<void> | undefined;
          try {
            for (const c of commands) {
              if (c.kind === 'run') {
                const controller = new AbortController();
                controllers.push(controller);
                // `forever` never ends by itself: it is always given a signal (aborted at the end).
                const signal = c.abortable || c.task === 'forever' ? controller.signal : undefined;
                const arg =
                  c.task === 'add' ? { a: 1, b: 2 } : c.task === 'delayed' ? { ms: 2, value: 1 } : 1;
                const payload = { counts, slot: outcomes.length, arg };
                outcomes.push(
                  pool
                    .run(payload, { name: c.task, signal })
                    .then(
                      () => 'ok',
                      (e: unknown) => (e as { code?: string }).code ?? (e as Error).message,
                    )
                    .finally(() => {
                      settled++;
                    }),
                );
              } else if (c.kind === 'abort') {
                controllers[c.index % Math.max(1, controllers.length)]?.abort(new Error('aborted'));
              } else if (c.kind === 'tick') {
                await new Promise((resolve) => setImmediate(resolve));
              } else if (c.kind === 'close') {
                // Anything `forever` would keep close() waiting: abort those first.
                closing ??= pool.close();
              } else {
                await pool.destroy('property');
              }
            }
            for (const controller of controllers) controller.abort(new Error('end'));
            await (closing ?? pool.close());
            const results = await Promise.all(outcomes);
            expect(settled).toBe(outcomes.length);
            expect(pool.stats()).toMatchObject({ queued: 0, running: 0, threads: 0 });
            // The threads are gone: no handler can still be counting.
            const runs = results.map((result, slot) => ({ result, executions: Atomics.load(counts, slot) }));
            for (const run of runs) {
              if (run.result === 'ok') expect(run).toEqual({ result: 'ok', executions: 1 });
              else expect(run.executions).toBeLessThanOrEqual(1);
            }
          } finally {
            await pool.destroy();
          }
        },
      ),
      { numRuns: 30, interruptAfterTimeLimit: 50_000, markInterruptAsFailure: true },
    );
  });
});
