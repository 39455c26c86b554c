import { performance } from 'node:perf_hooks';
import { WorkerExitError } from '../core/errors/WorkerExitError.js';
import type { ManagedWorker, WorkerSlot } from './ManagedWorker.js';
import type { SupervisorHost } from './SupervisorHost.js';
import type { WorkerSpawner } from './WorkerSpawner.js';

/** What the restart policy changes in the supervisor. */
export type RestartPolicyHost = SupervisorHost & {
  /** Too many crashes: the supervisor stops restarting and turns `'crashed'`. */
  enterCrashLoop(): void;
  /** Everyone was told of the crash loop: the supervisor gives up if it owns the process. */
  crashLoopReported(cause: string, details: string | undefined): void;
  /** The crash loop settles whoever waits for every worker to be ready. */
  slotsChanged(): void;
};

/**
 * What happens after a crash: restarts the slot's worker immediately, then with exponential backoff
 * while it keeps crashing, and stops everything once more than `maxCrashes` crashes fall within
 * `crashLoopWindowMs` (a crash loop).
 */
export class RestartPolicy {
  readonly #host: RestartPolicyHost;
  readonly #spawner: WorkerSpawner;
  readonly #crashTimes: number[] = [];
  #crashLoopError: Error | undefined;
  #restarts = 0;
  #crashes = 0;

  constructor(host: RestartPolicyHost, spawner: WorkerSpawner) {
    this.#host = host;
    this.#spawner = spawner;
  }

  /** Restarts after crashes since start. */
  get restarts(): number {
    return this.#restarts;
  }

  /** Unexpected worker exits since start. */
  get crashes(): number {
    return this.#crashes;
  }

  /** Why the supervisor stopped on a crash loop, once it did. */
  get crashLoopError(): Error | undefined {
    return this.#crashLoopError;
  }

  /** `m` exited without being asked to. */
  crashed(m: ManagedWorker, code: number | null, signal: string | null): void {
    const t = performance.now();
    this.#crashes++;
    this.#crashTimes.push(t);
    const windowStart = t - this.#host.options.crashLoopWindowMs;
    while (this.#crashTimes.length > 0 && (this.#crashTimes[0] ?? t) < windowStart) this.#crashTimes.shift();
    if (this.#crashTimes.length > this.#host.options.maxCrashes) {
      this.#enterCrashLoop(m, code, signal);
      return;
    }
    const slot = m.slot;
    if (this.#host.state() !== 'running' || slot.removed) return;
    // The crashed worker was being replaced (or was the replacement): the other one covers the slot.
    if (slot.current !== undefined || slot.incoming !== undefined) return;
    this.scheduleRestart(slot, t - m.forkedAt);
  }

  /** Forks a new worker into the empty `slot`, at once or after the backoff of its crash count. */
  scheduleRestart(slot: WorkerSlot, uptimeMs: number): void {
    if (slot.restartTimer !== undefined) return;
    const options = this.#host.options;
    if (uptimeMs > options.crashLoopWindowMs) slot.consecutiveCrashes = 0;
    slot.consecutiveCrashes++;
    const n = slot.consecutiveCrashes;
    const delay = n <= 1 ? 0 : Math.min(options.maxRestartDelayMs, options.restartDelayMs * 2 ** (n - 2));
    const restart = (): void => {
      slot.restartTimer = undefined;
      if (this.#host.state() !== 'running' || slot.removed || slot.current !== undefined) return;
      slot.restarts++;
      this.#restarts++;
      this.#spawner.fork(slot, 'crash');
    };
    if (delay === 0) restart();
    else {
      slot.restartTimer = setTimeout(restart, delay);
      slot.restartTimer.unref();
    }
  }

  /** Stops every pending restart. */
  cancel(): void {
    for (const slot of this.#spawner.slots) {
      clearTimeout(slot.restartTimer);
      slot.restartTimer = undefined;
    }
  }

  #enterCrashLoop(m: ManagedWorker, code: number | null, signal: string | null): void {
    const host = this.#host;
    if (host.state() !== 'running') return;
    host.enterCrashLoop();
    this.cancel();
    const cause = {
      slot: m.slot.id,
      code,
      signal,
      ...(m.startError === undefined ? {} : { error: m.startError }),
    };
    const summary = `crash loop (${this.#crashTimes.length} worker crashes within ${host.options.crashLoopWindowMs} ms)`;
    // A start error is a stack: its first line names the cause, the rest is detail.
    const [firstLine, ...detail] = (m.startError ?? `exit code ${code}, signal ${signal}`).split('\n');
    this.#crashLoopError = new WorkerExitError('process', m.pid, code, {
      cause: new Error(
        `crash loop: ${this.#crashTimes.length} crashes within ${host.options.crashLoopWindowMs} ms` +
          (m.startError ? `; last error: ${m.startError}` : ''),
      ),
    });
    host.events.emit('crashloop:detected', {
      crashes: this.#crashTimes.length,
      windowMs: host.options.crashLoopWindowMs,
      cause,
    });
    host.slotsChanged();
    host.crashLoopReported(`${summary}: ${firstLine}`, detail.length > 0 ? detail.join('\n') : undefined);
  }
}
