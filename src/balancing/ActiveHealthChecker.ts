// Internal: runs each backend's HealthCheck every `intervalMs` on an unref'd timer and tells
// the balancer when a backend crosses its unhealthy or healthy threshold.
import type { HealthCheckResult } from '../core/index.js';
import { TimeoutError } from '../core/index.js';
import type { BackendEntry } from './BackendEntry.js';

/** @internal */
export type ResolvedHealthCheckOptions = {
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly unhealthyThreshold: number;
  readonly healthyThreshold: number;
};

/** @internal */
export class ActiveHealthChecker<T> {
  readonly #options: ResolvedHealthCheckOptions;
  readonly #entries: () => Iterable<BackendEntry<T>>;
  readonly #onChange: (entry: BackendEntry<T>, down: boolean, message: string | undefined) => void;
  #timer: NodeJS.Timeout | undefined;
  #round: Promise<void> | undefined;
  #stopped = false;
  readonly #stopping = new AbortController();

  constructor(
    options: ResolvedHealthCheckOptions,
    entries: () => Iterable<BackendEntry<T>>,
    onChange: (entry: BackendEntry<T>, down: boolean, message: string | undefined) => void,
  ) {
    this.#options = options;
    this.#entries = entries;
    this.#onChange = onChange;
  }

  start(): void {
    this.#tick();
  }

  /** Stops the timer and aborts running checks; resolves when the current round has settled. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#stopping.abort();
    await this.#round;
  }

  #tick(): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      // A round that outlasts the interval delays the next one rather than overlapping it.
      void (this.#round ?? Promise.resolve()).then(() => this.#tick());
    }, this.#options.intervalMs);
    this.#timer.unref();
    const round = this.#runRound().finally(() => {
      if (this.#round === round) this.#round = undefined;
    });
    this.#round = round;
  }

  async #runRound(): Promise<void> {
    await Promise.all([...this.#entries()].map((entry) => this.#checkOne(entry)));
  }

  async #checkOne(entry: BackendEntry<T>): Promise<void> {
    const check = entry.healthCheck;
    if (check === undefined) return;
    const result = await this.#runCheck(check.check.bind(check));
    if (this.#stopped || entry.healthCheck !== check) return; // stopped, or the backend was removed
    const passed = result?.status === 'healthy' || result?.status === 'degraded';
    if (passed) {
      entry.checkFailures = 0;
      entry.checkPasses++;
      if (entry.checkDown && entry.checkPasses >= this.#options.healthyThreshold) {
        this.#onChange(entry, false, result.message);
      }
    } else {
      entry.checkPasses = 0;
      entry.checkFailures++;
      if (!entry.checkDown && entry.checkFailures >= this.#options.unhealthyThreshold) {
        this.#onChange(entry, true, result?.message); // a check may resolve to nothing: a failure
      }
    }
  }

  /** One check, bounded by `timeoutMs`; a rejection or timeout is a `critical` result. */
  async #runCheck(check: (signal: AbortSignal) => Promise<HealthCheckResult>): Promise<HealthCheckResult> {
    const controller = new AbortController();
    const onStop = (): void => controller.abort(this.#stopping.signal.reason);
    this.#stopping.signal.addEventListener('abort', onStop, { once: true });
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const error = new TimeoutError('health check', this.#options.timeoutMs);
        controller.abort(error);
        reject(error);
      }, this.#options.timeoutMs);
      timer.unref();
    });
    try {
      return await Promise.race([check(controller.signal), timedOut]);
    } catch (error) {
      return { status: 'critical', message: error instanceof Error ? error.message : String(error) };
    } finally {
      clearTimeout(timer);
      this.#stopping.signal.removeEventListener('abort', onStop);
    }
  }
}
