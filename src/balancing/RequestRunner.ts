// Internal: `run` on top of `acquire`. Calls the request on a leased backend, releases the
// lease with the outcome however the request ends, and gives up early (the request's signal
// aborted) when the caller's signal aborts or the balancer is destroyed.
import type { PickContext } from '../core/index.js';
import { InvalidOptionError } from '../core/index.js';
import { abortReason } from '../core/internal/abort.js';
import { checkOptionKeys, functionOption, optionsObject } from '../core/internal/validate.js';
import type { Backend } from './Backend.js';
import type { BackendLease } from './BackendLease.js';
import { RUN_OPTIONS, type RunOptions } from './RunOptions.js';

/** @internal What a run needs of the balancer: its (public) `acquire`. */
export type LeaseSource<T> = { acquire(ctx?: PickContext): BackendLease<T> };

/** @internal */
export class RequestRunner<T> {
  readonly #balancer: LeaseSource<T>;
  readonly #destroying: AbortSignal;
  readonly #isFailure: (error: unknown) => boolean;

  /** @param destroying - aborted, with a `ClosedError`, when the balancer is destroyed. */
  constructor(balancer: LeaseSource<T>, destroying: AbortSignal, isFailure: (error: unknown) => boolean) {
    this.#balancer = balancer;
    this.#destroying = destroying;
    this.#isFailure = isFailure;
  }

  async run<R>(
    fn: (target: T, signal: AbortSignal, backend: Backend<T>) => R | PromiseLike<R>,
    options?: RunOptions,
  ): Promise<R> {
    functionOption('fn', fn);
    const opts = optionsObject('options', options);
    checkOptionKeys(opts, RUN_OPTIONS, 'LoadBalancer.run');
    const signal = opts.signal;
    if (signal !== undefined && !(signal instanceof AbortSignal)) {
      throw new InvalidOptionError('options.signal', 'an AbortSignal', signal);
    }
    if (signal?.aborted) throw abortReason(signal, 'LoadBalancer.run');
    const lease = this.#balancer.acquire(options);
    const derived = signal === undefined ? this.#destroying : AbortSignal.any([signal, this.#destroying]);
    let work: Promise<R>;
    try {
      work = Promise.resolve(fn(lease.backend.target, derived, lease.backend));
    } catch (error) {
      work = Promise.reject(error);
    }
    work.then(
      () => lease.release(derived.aborted ? 'cancelled' : 'success'),
      (error: unknown) =>
        lease.release(
          // `isFailure` has always been called as a method of the balancer: keep its `this`.
          derived.aborted ? 'cancelled' : this.#isFailure.call(this.#balancer, error) ? 'failure' : 'success',
        ),
    );
    if (derived.aborted) throw this.#abortError(signal);
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(this.#abortError(signal));
      derived.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([work, aborted]);
    } finally {
      derived.removeEventListener('abort', onAbort as () => void);
    }
  }

  #abortError(signal: AbortSignal | undefined): Error {
    return signal?.aborted ? abortReason(signal, 'LoadBalancer.run') : (this.#destroying.reason as Error);
  }
}
