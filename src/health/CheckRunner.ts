import type { Clock } from '../core/Clock.js';
import { InvalidOptionError } from '../core/errors/InvalidOptionError.js';
import { TimeoutError } from '../core/errors/TimeoutError.js';
import type { HealthCheck, HealthCheckResult } from '../core/HealthCheck.js';
import { healthStatuses } from '../core/HealthCheck.js';
import { setOwnEntry } from '../core/internal/ownEntry.js';
import type { HealthCheckState } from './HealthMonitorOptions.js';
import { validCheck } from './resolveHealthMonitorOptions.js';

/**
 * The user checks of a HealthMonitor: the list run each interval (`options.checks`, then those
 * given to `add`), and running them, each under `timeoutMs` and the monitor's closing signal.
 */
export class CheckRunner {
  readonly #clock: Clock;
  readonly #timeoutMs: number;
  readonly #closing: AbortSignal;
  #list: readonly HealthCheck[];

  constructor(checks: readonly HealthCheck[], clock: Clock, timeoutMs: number, closing: AbortSignal) {
    this.#list = checks;
    this.#clock = clock;
    this.#timeoutMs = timeoutMs;
    this.#closing = closing;
  }

  /** The checks as of now; a later `add` or removal makes a new array. */
  get list(): readonly HealthCheck[] {
    return this.#list;
  }

  /**
   * Adds a check, run from the next interval on.
   *
   * @returns a handle whose `[Symbol.dispose]()` removes it (idempotent).
   * @throws {@link InvalidOptionError} for something that is not a check, or a name already taken.
   */
  add(check: HealthCheck): Disposable {
    const added = validCheck('check', check);
    if (this.#list.some((c) => c.name === added.name)) {
      throw new InvalidOptionError('check.name', 'a name no other check has', added.name);
    }
    this.#list = [...this.#list, added];
    return {
      [Symbol.dispose]: () => {
        this.#list = this.#list.filter((c) => c !== added);
      },
    };
  }

  /** Runs `list` concurrently; the states come in the order of `list`. Never rejects. */
  runAll(list: readonly HealthCheck[]): Promise<HealthCheckState[]> {
    return Promise.all(list.map((c) => this.#run(c)));
  }

  /** Runs one check under the timeout and the closing signal; never rejects. */
  #run(check: HealthCheck): Promise<HealthCheckState> {
    const clock = this.#clock;
    const timeoutMs = this.#timeoutMs;
    const started = clock.now();
    const controller = new AbortController();
    const closing = this.#closing;
    return new Promise<HealthCheckState>((resolve) => {
      let settled = false;
      const finish = (state: HealthCheckState): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        closing.removeEventListener('abort', onClose);
        resolve(state);
      };
      const fail = (error: unknown, latencyMs: number): void =>
        finish({
          status: 'critical',
          latencyMs,
          error: error instanceof Error ? error.message : String(error),
        });
      const timer = setTimeout(() => {
        const error = new TimeoutError(`health check "${check.name}"`, timeoutMs);
        controller.abort(error);
        fail(error, timeoutMs);
      }, timeoutMs);
      // A check in flight keeps the process alive through its own I/O, not through this timer.
      timer.unref();
      const onClose = (): void => {
        controller.abort(closing.reason);
        fail(closing.reason, clock.now() - started);
      };
      if (closing.aborted) {
        onClose();
        return;
      }
      closing.addEventListener('abort', onClose, { once: true });
      let result: Promise<HealthCheckResult>;
      try {
        result = Promise.resolve(check.check(controller.signal));
      } catch (error) {
        fail(error, clock.now() - started);
        return;
      }
      result.then(
        (r) => {
          const latencyMs = Math.max(0, clock.now() - started);
          if (
            typeof r !== 'object' ||
            r === null ||
            !(healthStatuses as readonly unknown[]).includes((r as HealthCheckResult).status)
          ) {
            fail(new Error(`returned ${String(r)}, not a HealthCheckResult`), latencyMs);
            return;
          }
          const state: { -readonly [K in keyof HealthCheckState]: HealthCheckState[K] } = {
            status: r.status,
            latencyMs,
          };
          if (typeof r.message === 'string') state.message = r.message;
          finish(state);
        },
        (error: unknown) => fail(error, Math.max(0, clock.now() - started)),
      );
    });
  }
}

/** The states `runAll` returned, by check name. */
export function statesByName(
  list: readonly HealthCheck[],
  states: readonly HealthCheckState[],
): Record<string, HealthCheckState> {
  const checks: Record<string, HealthCheckState> = {};
  list.forEach((c, i) => {
    setOwnEntry(checks, c.name, states[i] as HealthCheckState);
  });
  return checks;
}
