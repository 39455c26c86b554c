import type { Clock } from './Clock.js';
import { systemClock } from './Clock.js';
import { InvalidOptionError } from './errors/InvalidOptionError.js';
import type { HealthStatus } from './HealthCheck.js';
import { healthStatuses } from './HealthCheck.js';
import { clockOption } from './internal/clockOption.js';
import { ListenerSet } from './internal/ListenerSet.js';
import { checkOptionKeys, oneOfOption, optionNames, optionsObject } from './internal/validate.js';
import type { LoadChange, LoadSignal } from './LoadSignal.js';

/** Options of {@link ManualLoadSignal}. */
export type ManualLoadSignalOptions = {
  /**
   * The status before the first `set()`.
   * @default 'healthy'
   */
  readonly initialStatus?: HealthStatus;
  /**
   * Stamps {@link LoadChange.at}.
   * @default systemClock
   */
  readonly clock?: Clock;
};

const OPTIONS = optionNames<ManualLoadSignalOptions>()(['initialStatus', 'clock']);

/**
 * A {@link LoadSignal} you set by hand: from your own metrics, an admin endpoint, or a test
 * that drives a queue or balancer through `degraded` and `critical`.
 *
 * @example
 * {@includeCode ./ManualLoadSignal.test.ts#manual}
 */
export class ManualLoadSignal implements LoadSignal {
  #status: HealthStatus;
  readonly #clock: Clock;
  // A Set of per-subscription wrappers: subscribing the same function twice calls it twice,
  // and each handle removes only its own entry.
  readonly #listeners = new ListenerSet<LoadChange>(
    'LOADSTONE_WARN_LISTENER_THREW',
    'A LoadSignal listener threw',
  );
  // Changes made by a listener while others are being notified wait here, so that every
  // listener sees every change, in order.
  readonly #queue: LoadChange[] = [];
  #notifying = false;

  /**
   * @param options - initial status and clock.
   * @throws {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION` for a bad option.
   */
  constructor(options?: ManualLoadSignalOptions) {
    const opts = optionsObject('options', options);
    checkOptionKeys(opts, OPTIONS, 'ManualLoadSignal');
    this.#status =
      opts.initialStatus === undefined
        ? 'healthy'
        : oneOfOption('options.initialStatus', opts.initialStatus, healthStatuses);
    this.#clock = clockOption(opts.clock, systemClock);
  }

  /** The current status. */
  get status(): HealthStatus {
    return this.#status;
  }

  /**
   * Sets the status. When it differs from the current one, notifies every listener
   * synchronously before returning; setting the same status again does nothing. A `set()`
   * made by a listener is delivered once the current change has reached every listener.
   *
   * @param status - the new status.
   * @param reason - why, passed on as {@link LoadChange.reason}.
   * @throws {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION` for an unknown status or
   * a `reason` that is not a string.
   */
  set(status: HealthStatus, reason?: string): void {
    oneOfOption('status', status, healthStatuses);
    if (reason !== undefined && typeof reason !== 'string') {
      throw new InvalidOptionError('reason', 'a string', reason);
    }
    const previous = this.#status;
    if (status === previous) return;
    this.#status = status;
    const change: LoadChange = Object.freeze(
      reason === undefined
        ? { status, previous, at: this.#clock.now() }
        : { status, previous, reason, at: this.#clock.now() },
    );
    this.#queue.push(change);
    if (!this.#notifying) this.#drain();
  }

  /** {@inheritDoc LoadSignal.subscribe} */
  subscribe(listener: (change: LoadChange) => void): Disposable {
    return this.#listeners.subscribe(listener);
  }

  #drain(): void {
    this.#notifying = true;
    try {
      for (let change = this.#queue.shift(); change !== undefined; change = this.#queue.shift()) {
        this.#listeners.notify(change);
      }
    } finally {
      this.#notifying = false;
    }
  }
}
