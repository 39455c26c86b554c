// The states of a CircuitBreaker (internal): closed, open and half-open, the moves between them,
// the probes of the half-open state, and what each call's outcome does to the state.
import type { Clock } from '../core/Clock.js';
import { CircuitOpenError } from '../core/errors/CircuitOpenError.js';
import type {
  CircuitState,
  CircuitStateChangedEvent,
  CircuitStateChangeReason,
} from './CircuitBreakerOptions.js';
import type { CircuitCounters } from './CircuitCounters.js';
import type { CircuitTripPolicy } from './CircuitTripPolicy.js';
import type { ResolvedCircuitBreakerOptions } from './resolveCircuitBreakerOptions.js';

// States as small integers on the hot path; names only at the edges.
export const CLOSED = 0;
export const OPEN = 1;
export const HALF_OPEN = 2;
type StateCode = typeof CLOSED | typeof OPEN | typeof HALF_OPEN;
const STATE_NAMES: readonly CircuitState[] = ['closed', 'open', 'half-open'];

/** Where `state:changed` is emitted (the breaker itself). */
export interface CircuitEventsTarget {
  listenerCount(event: 'state:changed'): number;
  emit(event: 'state:changed', payload: CircuitStateChangedEvent): boolean;
}

/** Builds the `state:changed` payload. */
function stateChanged(
  name: string,
  from: StateCode,
  to: StateCode,
  reason: CircuitStateChangeReason,
): CircuitStateChangedEvent {
  return { name, from: STATE_NAMES[from] as CircuitState, to: STATE_NAMES[to] as CircuitState, reason };
}

export class CircuitStateMachine {
  readonly #o: ResolvedCircuitBreakerOptions;
  readonly #clock: Clock;
  readonly #policy: CircuitTripPolicy;
  readonly #counters: CircuitCounters;
  readonly #events: CircuitEventsTarget;
  #state: StateCode = CLOSED;
  #isolated = false;
  /** Clock time at which the breaker last opened. */
  #openedAt = 0;
  /** Probe calls in flight (half-open only). */
  #probes = 0;
  /** Bumped on every state change, so that late outcomes of earlier calls are told apart. */
  #generation = 0;

  constructor(
    o: ResolvedCircuitBreakerOptions,
    policy: CircuitTripPolicy,
    counters: CircuitCounters,
    events: CircuitEventsTarget,
  ) {
    this.#o = o;
    this.#clock = o.clock;
    this.#policy = policy;
    this.#counters = counters;
    this.#events = events;
  }

  /** The state as it stands (without the lazy move to half-open: see `refresh`). */
  get state(): StateCode {
    return this.#state;
  }

  /** The state's public name. */
  get stateName(): CircuitState {
    return STATE_NAMES[this.#state] as CircuitState;
  }

  get isolated(): boolean {
    return this.#isolated;
  }

  /** Changes on every state change; an outcome of an older generation moves nothing. */
  get generation(): number {
    return this.#generation;
  }

  /**
   * Lets a call through (on the full path) or refuses it.
   *
   * @returns whether the call is a half-open probe.
   * @throws a {@link CircuitOpenError} when open, or half-open with every probe slot taken.
   */
  admit(now: number): boolean {
    this.refresh(now);
    if (this.#state === OPEN) {
      this.#counters.rejections++;
      throw new CircuitOpenError(this.#o.name, this.#retryAfterMs(now));
    }
    if (this.#state === HALF_OPEN) {
      if (this.#probes >= this.#o.halfOpenMaxProbes) {
        this.#counters.rejections++;
        throw new CircuitOpenError(this.#o.name, 0);
      }
      this.#probes++;
      return true;
    }
    return false;
  }

  /** A probe of `generation` was aborted by its caller: its slot is free again. */
  releaseProbe(generation: number): void {
    if (generation === this.#generation) this.#probes--;
  }

  /** Fast-path success (no timestamp unless the window needs one). */
  succeeded(): void {
    this.#counters.successes++;
    if (this.#state !== CLOSED) return;
    this.#policy.success();
  }

  /** Fast-path failure (not timed). */
  failedUntimed(error: unknown): void {
    if (!this.#policy.isFailure(error)) {
      this.succeeded();
      return;
    }
    this.#counters.failures++;
    if (this.#state === CLOSED) this.#failedWhileClosed(this.#clock.now());
  }

  /** A call of the deadline queue timed out. */
  timedOut(): void {
    this.#counters.timeouts++;
    this.#counters.failures++;
    if (this.#state === CLOSED) this.#failedWhileClosed(this.#clock.now());
  }

  settleSuccess(now: number, probe: boolean, generation: number): void {
    this.#counters.successes++;
    if (generation !== this.#generation) return;
    if (probe) {
      // Stryker disable next-line UpdateOperator: #transition sets #probes to 0 right after
      this.#probes--;
      this.#transition(CLOSED, now, 'probe-succeeded');
    } else if (this.#state === CLOSED) {
      this.#policy.successAt(now);
    }
  }

  settleFailure(now: number, probe: boolean, generation: number): void {
    this.#counters.failures++;
    if (generation !== this.#generation) return;
    if (probe) {
      // Stryker disable next-line UpdateOperator: #transition sets #probes to 0 right after
      this.#probes--;
      this.#transition(OPEN, now, 'probe-failed');
    } else if (this.#state === CLOSED) {
      this.#failedWhileClosed(now);
    }
  }

  /** Open → half-open once `openDurationMs` has passed (not while isolated). */
  refresh(now: number): void {
    if (this.#state === OPEN && !this.#isolated && now - this.#openedAt >= this.#o.openDurationMs) {
      this.#transition(HALF_OPEN, now, 'open-duration-elapsed');
    }
  }

  /** Holds the breaker open until `reset`. */
  isolate(now: number): void {
    this.#isolated = true;
    if (this.#state === OPEN) this.#openedAt = now;
    else this.#transition(OPEN, now, 'isolated');
  }

  /** Closes the breaker and forgets its failures. */
  reset(now: number): void {
    this.#isolated = false;
    if (this.#state !== CLOSED) this.#transition(CLOSED, now, 'reset');
    else this.#policy.clear(now);
  }

  /** Counts a failure in the closed state and opens the breaker if a rule is met. */
  #failedWhileClosed(now: number): void {
    const reason = this.#policy.failure(now);
    if (reason !== undefined) this.#transition(OPEN, now, reason);
  }

  #retryAfterMs(now: number): number {
    if (this.#isolated) return Number.POSITIVE_INFINITY;
    return Math.max(0, this.#openedAt + this.#o.openDurationMs - now);
  }

  #transition(to: StateCode, now: number, reason: CircuitStateChangeReason): void {
    const from = this.#state;
    this.#state = to;
    // Stryker disable next-line UpdateOperator: generations are only compared for equality; counting down changes them as surely
    this.#generation++;
    this.#probes = 0;
    if (to === OPEN) {
      this.#openedAt = now;
      this.#counters.opened++;
    }
    if (to === CLOSED) this.#policy.clear(now);
    const events = this.#events;
    // Stryker disable next-line ConditionalExpression: a shortcut; emitting to no listener does nothing
    if (events.listenerCount('state:changed') === 0) return;
    try {
      events.emit('state:changed', stateChanged(this.#o.name, from, to, reason));
    } catch (error) {
      // A listener's bug must not leave the breaker half-changed or fail an unrelated call.
      process.emitWarning(
        `A 'state:changed' listener of circuit breaker "${this.#o.name}" threw: ${String(error)}`,
        { code: 'LOADSTONE_WARN_BREAKER_LISTENER_THREW', detail: (error as Error)?.stack },
      );
    }
  }
}
