import type { SupervisorState } from './SupervisorHost.js';

/**
 * The only moves the supervisor makes. `crashed` (a crash loop) leads only to `stopping`: a
 * supervisor that gave up never restarts workers again.
 */
const NEXT: Readonly<Record<SupervisorState, readonly SupervisorState[]>> = {
  idle: ['running', 'stopping'],
  running: ['crashed', 'stopping'],
  crashed: ['stopping'],
  stopping: ['stopped'],
  stopped: [],
};

// A timer this long never fires; it only holds the event loop open.
const HOLD_MS = 2 ** 31 - 1;

/**
 * The supervisor's state machine, and what keeps the primary alive while it runs. Workers that
 * all wait for a backoff restart leave nothing else in the primary's event loop (the restart
 * timers must not hold it: a stopped supervisor must let the process end), and Node then exits
 * with code 0 and no word, the one ending a process manager must never have. So while `running`
 * the lifecycle holds the loop open itself; every other state lets go, and the process ends only
 * through a requested stop or a give-up.
 */
export class SupervisorLifecycle {
  #state: SupervisorState = 'idle';
  #hold: NodeJS.Timeout | undefined;

  get state(): SupervisorState {
    return this.#state;
  }

  /**
   * Moves to `next`; a move the table does not allow is a bug in the supervisor, not in its caller.
   * @throws Error for a move the table does not allow.
   */
  moveTo(next: SupervisorState): void {
    if (!NEXT[this.#state].includes(next)) {
      throw new Error(`loadstone internal error: ClusterSupervisor cannot go from ${this.#state} to ${next}`);
    }
    this.#state = next;
    if (next === 'running') this.#hold = setInterval(() => {}, HOLD_MS);
    else if (this.#hold !== undefined) {
      clearInterval(this.#hold);
      this.#hold = undefined;
    }
  }

  /** `true` once a stop began. */
  get stopping(): boolean {
    return this.#state === 'stopping' || this.#state === 'stopped';
  }
}
