// One leased job in a worker: runs the handler once and turns its outcome (a result, a throw, a
// timeout, a lost lease, a hand-back) into exactly one settlement, whichever comes first.
import { inspect } from 'node:util';
import { TimeoutError } from '../core/errors/TimeoutError.js';
import { findJsonProblem } from '../core/internal/json.js';
import type { Job } from './Job.js';
import type { LeasedJob } from './JobStore.js';

/** How an execution ended. @internal */
export type ExecutionOutcome =
  | { readonly kind: 'completed'; readonly result: string | undefined; readonly durationMs: number }
  | { readonly kind: 'failed'; readonly reason: string; readonly durationMs: number }
  /** Handed back or lost: no settlement of its own (a release is sent by the worker). */
  | { readonly kind: 'abandoned' };

/** @internal */
export class JobExecution<D> {
  readonly controller = new AbortController();
  #ended = false;
  #timer: NodeJS.Timeout | undefined;
  #startedAt = 0;
  /** Made only when someone waits (a closing worker): most jobs end unwatched. */
  #finished: { promise: Promise<void>; resolve: () => void } | undefined;

  constructor(
    readonly job: LeasedJob,
    readonly partition: number,
    private readonly onEnd: (execution: JobExecution<D>, outcome: ExecutionOutcome) => void,
  ) {}

  /** Whether the outcome is decided (the handler may still be running, unheard). */
  get ended(): boolean {
    return this.#ended;
  }

  /** Settles when the outcome is decided. */
  get finished(): Promise<void> {
    if (this.#ended) return Promise.resolve();
    if (this.#finished === undefined) {
      let resolve!: () => void;
      const promise = new Promise<void>((done) => {
        resolve = done;
      });
      this.#finished = { promise, resolve };
    }
    return this.#finished.promise;
  }

  /**
   * Runs the handler once `admit` resolves (the rate limit, if any; it must resolve, not reject,
   * when the signal aborts), calling `started` just before.
   */
  async run(
    handler: (job: Job<D>, signal: AbortSignal) => unknown,
    admit: ((signal: AbortSignal) => Promise<void>) | undefined,
    timeoutMs: number | undefined,
    started: () => void,
  ): Promise<void> {
    if (admit !== undefined) {
      await admit(this.controller.signal);
      if (this.#ended) return;
    }
    started();
    this.#startedAt = performance.now();
    if (timeoutMs !== undefined) {
      this.#timer = setTimeout(() => {
        this.#end({ kind: 'failed', reason: `timed out after ${timeoutMs} ms`, durationMs: timeoutMs });
        this.controller.abort(new TimeoutError(`job "${this.job.id}"`, timeoutMs));
      }, timeoutMs);
    }
    try {
      // Parsed inside the try: a payload a store mangled fails this attempt with a reason.
      const job: Job<D> = {
        id: this.job.id,
        data: JSON.parse(this.job.data) as D,
        attempt: this.job.failures + 1,
        key: this.job.key,
        priority: this.job.priority,
        addedAt: this.job.addedAt,
        interruptions: this.job.interruptions,
      };
      const result = await handler(job, this.controller.signal);
      this.#end(this.#completion(result));
    } catch (error) {
      this.#end({ kind: 'failed', reason: describe(error), durationMs: this.#elapsed() });
    }
  }

  /** Ends it without a result (hand-back or lost lease), aborting the handler with `reason`. */
  abandon(reason: Error): void {
    if (this.#end({ kind: 'abandoned' })) this.controller.abort(reason);
  }

  #completion(result: unknown): ExecutionOutcome {
    const durationMs = this.#elapsed();
    if (result === undefined) return { kind: 'completed', result: undefined, durationMs };
    const problem = findJsonProblem(result, Number.MAX_SAFE_INTEGER);
    if (problem !== undefined) {
      return {
        kind: 'failed',
        reason: `the handler's result is not JSON-serialisable (${problem.reason})`,
        durationMs,
      };
    }
    return { kind: 'completed', result: JSON.stringify(result), durationMs };
  }

  #elapsed(): number {
    return performance.now() - this.#startedAt;
  }

  #end(outcome: ExecutionOutcome): boolean {
    if (this.#ended) return false;
    this.#ended = true;
    clearTimeout(this.#timer);
    this.onEnd(this, outcome);
    this.#finished?.resolve();
    return true;
  }
}

/** A readable reason for what a handler threw: `TypeError: x is undefined`, `non-Error thrown: 42`. */
function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return `non-Error thrown: ${inspect(error, { depth: 2, breakLength: Number.POSITIVE_INFINITY })}`;
}
