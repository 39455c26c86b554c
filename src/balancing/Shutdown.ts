// Internal: the balancer's lifecycle. `close` stops intake and active checks and waits for the
// requests in flight, bounded by `closeTimeoutMs` and the caller's signal; `destroy` abandons
// them through the signal every `run` listens on.
import { setMaxListeners } from 'node:events';
import { ClosedError } from '../core/errors/ClosedError.js';
import type { CloseOptions } from '../core/index.js';
import { drainWithin } from '../core/internal/abort.js';
import { signalOption } from '../core/internal/signalOption.js';
import type { ActiveHealthChecker } from './ActiveHealthChecker.js';
import type { LeaseTracker } from './LeaseTracker.js';

/** @internal What close needs of the balancer: its (public) `destroy`. */
export type Destroyable = { destroy(reason?: unknown): Promise<void> };

/** @internal */
export class Shutdown<T> {
  readonly #balancer: Destroyable;
  readonly #closeTimeoutMs: number;
  readonly #leases: Pick<LeaseTracker<T>, 'whenDrained' | 'abandonDrain'>;
  readonly #checker: Pick<ActiveHealthChecker<T>, 'stop'> | undefined;
  #closed = false;
  readonly #destroying = new AbortController();

  constructor(
    balancer: Destroyable,
    closeTimeoutMs: number,
    leases: Pick<LeaseTracker<T>, 'whenDrained' | 'abandonDrain'>,
    checker: Pick<ActiveHealthChecker<T>, 'stop'> | undefined,
  ) {
    // Every in-flight `run` listens on this signal (and removes its listener when it settles), so
    // the listener count is the concurrency, not a leak: lift Node's default warning at 10.
    setMaxListeners(0, this.#destroying.signal);
    this.#balancer = balancer;
    this.#closeTimeoutMs = closeTimeoutMs;
    this.#leases = leases;
    this.#checker = checker;
  }

  /** `true` once `close()` or `destroy()` has been called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Aborted by `destroy`, with a `ClosedError` as its reason. */
  get destroying(): AbortSignal {
    return this.#destroying.signal;
  }

  async close(options?: CloseOptions): Promise<void> {
    const signal = signalOption(options, 'LoadBalancer.close');
    this.#closed = true;
    const stopping = this.#checker?.stop();
    const all = Promise.all([this.#leases.whenDrained(), stopping]).then(() => undefined);
    const drained =
      this.#closeTimeoutMs > 0
        ? drainWithin(
            all,
            this.#closeTimeoutMs,
            (reason) => this.#balancer.destroy(reason),
            'close of LoadBalancer',
          )
        : all;
    if (signal === undefined) return drained;
    if (signal.aborted) {
      await this.#balancer.destroy(signal.reason);
      throw signal.reason;
    }
    let onAbort: (() => void) | undefined;
    let destroyed: Promise<void> | undefined;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => {
        reject(signal.reason); // before the destroy below lets `drained` resolve
        destroyed = this.#balancer.destroy(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      await Promise.race([drained, aborted]);
    } catch (error) {
      await destroyed;
      throw error;
    } finally {
      signal.removeEventListener('abort', onAbort as () => void);
    }
  }

  async destroy(reason?: unknown): Promise<void> {
    this.#closed = true;
    if (!this.#destroying.signal.aborted)
      this.#destroying.abort(new ClosedError('LoadBalancer', { cause: reason }));
    this.#leases.abandonDrain();
    await this.#checker?.stop();
  }
}
