// How many short tasks a thread is handed ahead of time. Internal.

/** Pipelining keeps about this much measured work (ms) handed to each thread ahead of time. */
const PIPELINE_BUDGET_MS = 2;
/**
 * Tasks at least this long (ms, moving average) are handed out one per thread, as the issue's
 * techniques list advises ("keeping long ones alone"): a round trip is then a small share of a
 * task, and on the shared bench VM pipelined 1 ms tasks measured 10–25 % below one at a time
 * (piscina's concurrentTasksPerWorker and raw pipelined postMessage showed the same).
 */
const LONG_TASK_MS = 0.5;
/** Weight of the newest run time in the moving average that sizes the pipeline. */
const EWMA_ALPHA = 0.05;

/**
 * Sizes the pipeline from a moving average of task run times: `cap` tasks fit in about
 * `PIPELINE_BUDGET_MS` of work, up to `pipelineDepth`. The average starts at
 * `LONG_TASK_MS`, so the pool hands out one task per thread until it has measured some.
 */
export class PipelineSizer {
  readonly #depth: number;
  #ewmaRunMs = LONG_TASK_MS;
  /** Most tasks a thread may hold at once (tasks with a signal, a time limit or moved objects: 1). */
  cap: number;

  /** @param pipelineDepth - `options.pipelineDepth`. */
  constructor(pipelineDepth: number) {
    this.#depth = pipelineDepth;
    this.cap = this.#capFor(this.#ewmaRunMs);
  }

  /** Adds one measured run time (ms) to the average; {@link PipelineSizer.update} applies it. */
  record(runMs: number): void {
    this.#ewmaRunMs += (runMs - this.#ewmaRunMs) * EWMA_ALPHA;
  }

  /** Recomputes `cap` from the average (once per batch of results). */
  update(): void {
    this.cap = this.#capFor(this.#ewmaRunMs);
  }

  #capFor(ewmaMs: number): number {
    const depth = this.#depth;
    if (depth === 1 || ewmaMs >= LONG_TASK_MS) return 1;
    const fits = 1 + Math.floor(PIPELINE_BUDGET_MS / Math.max(ewmaMs, 1e-3));
    return fits < depth ? fits : depth;
  }
}
