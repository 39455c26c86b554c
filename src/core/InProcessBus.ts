import type { Bus, BusHandler } from './Bus.js';
import type { Closeable, CloseOptions } from './Closeable.js';
import type { AbortedError } from './errors/AbortedError.js';
import { ClosedError } from './errors/ClosedError.js';
import { InvalidOptionError } from './errors/InvalidOptionError.js';
import { drainUnlessAborted } from './internal/abort.js';
import { toJsonText } from './internal/json.js';
import { signalOption } from './internal/signalOption.js';
import {
  checkOptionKeys,
  functionOption,
  nonEmptyStringOption,
  optionNames,
  optionsObject,
} from './internal/validate.js';
import { warnThrew } from './internal/warnThrew.js';
import type { JsonValue } from './Json.js';

/** Options of {@link InProcessBus}. */
export type InProcessBusOptions = {
  /**
   * Receives what a handler throws (or what the promise it returns rejects with). It runs in
   * the delivery microtask; if it throws too, that is reported as a process warning.
   * @default a `process.emitWarning` with code `LOADSTONE_WARN_BUS_HANDLER_THREW`
   */
  readonly onHandlerError?: (error: unknown, channel: string) => void;
};

const OPTIONS = optionNames<InProcessBusOptions>()(['onHandlerError']);

type Subscription = {
  readonly handler: BusHandler;
  /** Id of the first message this subscription receives: those published before it are not. */
  readonly firstId: number;
};

/**
 * A {@link Bus} within one process, e.g. between the modules of one server, or as a stand-in
 * for a cross-process bus in tests. It behaves like a remote bus: each handler gets its own
 * copy of the message (a JSON round trip) in a later microtask, in publish order.
 *
 * @example
 * {@includeCode ./InProcessBus.test.ts#inProcessBus}
 */
export class InProcessBus implements Bus {
  readonly #onHandlerError: (error: unknown, channel: string) => void;
  readonly #channels = new Map<string, Set<Subscription>>();
  #nextId = 0;
  #pending = 0;
  #closed = false;
  #drained: Promise<void> | undefined;
  #resolveDrained: (() => void) | undefined;

  /**
   * @param options - the handler-error hook.
   * @throws {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION` for a bad option.
   */
  constructor(options?: InProcessBusOptions) {
    const opts = optionsObject('options', options);
    checkOptionKeys(opts, OPTIONS, 'InProcessBus');
    this.#onHandlerError =
      opts.onHandlerError === undefined
        ? warnHandlerThrew
        : functionOption('options.onHandlerError', opts.onHandlerError);
  }

  /** `true` once `close()` or `destroy()` has been called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** {@inheritDoc Bus.publish} */
  async publish(channel: string, message: JsonValue): Promise<void> {
    if (this.#closed) throw new ClosedError('InProcessBus');
    nonEmptyStringOption('channel', channel);
    const text = toJsonText(message);
    const id = this.#nextId++;
    // Stryker disable next-line ConditionalExpression: speed only; a delivery to no subscriber does nothing
    if (!this.#channels.has(channel)) return;
    this.#pending++;
    queueMicrotask(() => this.#deliver(channel, text, id));
  }

  /** {@inheritDoc Bus.subscribe} */
  subscribe(channel: string, handler: BusHandler): Disposable {
    if (this.#closed) throw new ClosedError('InProcessBus');
    nonEmptyStringOption('channel', channel);
    const subscription: Subscription = {
      handler: functionOption<BusHandler>('handler', handler),
      firstId: this.#nextId,
    };
    let subscriptions = this.#channels.get(channel);
    if (subscriptions === undefined) {
      subscriptions = new Set();
      this.#channels.set(channel, subscriptions);
    }
    subscriptions.add(subscription);
    return {
      [Symbol.dispose]: () => {
        const current = this.#channels.get(channel);
        // Stryker disable next-line BooleanLiteral: memory only; an empty set of subscriptions delivers nothing
        if (current?.delete(subscription) === true && current.size === 0) this.#channels.delete(channel);
      },
    };
  }

  /**
   * Stops accepting messages and subscriptions at once, then waits until the messages already
   * published have been handed to their handlers (not for promises that async handlers
   * return). Idempotent: every call settles when the one drain does.
   *
   * @param options - a `signal` to stop waiting: the undelivered messages are then dropped as
   * by {@link InProcessBus.destroy}.
   * @returns a promise that resolves once drained.
   * @throws `signal.reason` (an {@link AbortedError} if it is not an `Error`), as a rejection,
   * when `options.signal` aborts first.
   * @throws {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION`, as a rejection, when
   * `options.signal` is not an `AbortSignal`.
   */
  async close(options?: CloseOptions): Promise<void> {
    const signal = signalOption(options, 'InProcessBus.close');
    this.#closed = true;
    this.#drained ??=
      this.#pending === 0
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            this.#resolveDrained = resolve;
          });
    return drainUnlessAborted(this.#drained, signal, (reason) => this.destroy(reason), 'InProcessBus close');
  }

  /**
   * Stops accepting messages and subscriptions and drops the messages not yet delivered.
   * Their `publish()` calls have already resolved, so nothing rejects and `reason` is unused.
   *
   * @param _reason - accepted for the {@link Closeable} contract.
   * @returns a promise that resolves at once.
   */
  async destroy(_reason?: unknown): Promise<void> {
    // Deliveries already queued find no subscriber left.
    this.#closed = true;
    this.#channels.clear();
  }

  /** Calls {@link InProcessBus.close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #deliver(channel: string, text: string, id: number): void {
    try {
      const subscriptions = this.#channels.get(channel);
      if (subscriptions === undefined) return;
      // Iterating the live set skips subscriptions disposed meanwhile (even by an earlier handler).
      for (const subscription of subscriptions) {
        if (subscription.firstId > id) continue;
        try {
          const result: unknown = subscription.handler(JSON.parse(text) as JsonValue, channel);
          if (result instanceof Promise) result.catch((error: unknown) => this.#report(error, channel));
        } catch (error) {
          this.#report(error, channel);
        }
      }
    } finally {
      if (--this.#pending === 0) this.#resolveDrained?.();
    }
  }

  #report(error: unknown, channel: string): void {
    try {
      this.#onHandlerError(error, channel);
    } catch (hookError) {
      warnHandlerThrew(hookError, channel);
    }
  }
}

function warnHandlerThrew(error: unknown, channel: string): void {
  warnThrew(
    'LOADSTONE_WARN_BUS_HANDLER_THREW',
    `An InProcessBus handler for channel ${JSON.stringify(channel)} threw`,
    error,
  );
}
