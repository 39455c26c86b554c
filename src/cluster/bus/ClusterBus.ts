import cluster from 'node:cluster';
import type { Bus, BusHandler } from '../../core/Bus.js';
import type { Closeable, CloseOptions } from '../../core/Closeable.js';
import type { AbortedError } from '../../core/errors/AbortedError.js';
import { ClosedError } from '../../core/errors/ClosedError.js';
import { InvalidOptionError } from '../../core/errors/InvalidOptionError.js';
import { InProcessBus } from '../../core/InProcessBus.js';
import { drainUnlessAborted } from '../../core/internal/abort.js';
import { assertJson } from '../../core/internal/json.js';
import { signalOption } from '../../core/internal/signalOption.js';
import {
  checkOptionKeys,
  functionOption,
  integerOption,
  nonEmptyStringOption,
  optionNames,
  optionsObject,
} from '../../core/internal/validate.js';
import { warnThrew } from '../../core/internal/warnThrew.js';
import type { JsonValue } from '../../core/Json.js';
import type { ClusterBusOptions } from './ClusterBusOptions.js';
import { ClusterBusRelay, type RelayLink, relayLinks } from './ClusterBusRelay.js';
import {
  BUS_DELIVER,
  BUS_PUBLISH,
  busEnvelope,
  checkBusEnvelope,
  DEFAULT_MAX_MESSAGE_BYTES,
  MAX_CHANNEL_LENGTH,
} from './messages.js';

const OPTIONS = optionNames<ClusterBusOptions>()(['relay', 'maxMessageBytes', 'onHandlerError']);

/** The worker-side buses of this process, which all receive what the primary delivers. */
const workerBuses = new Set<(channel: string, message: JsonValue) => void>();

function onWorkerMessage(message: unknown): void {
  // The primary checked the size already; the shape is checked again because user code shares
  // the channel and may send anything.
  if (checkBusEnvelope(message, BUS_DELIVER, Number.POSITIVE_INFINITY) !== undefined) return;
  const { channel, message: payload } = message as { channel: string; message: JsonValue };
  for (const deliver of workerBuses) deliver(channel, payload);
}

/**
 * A {@link Bus} across the processes of a Node cluster: a message published in one worker
 * reaches the subscribers of that channel in every worker and in the primary, e.g. to
 * invalidate a cache entry or update presence everywhere. No broker: messages travel over the
 * cluster's IPC channels, through the primary's {@link ClusterBusRelay}, which checks each one.
 *
 * Create one per process where you need it: in each worker with no options, in the primary
 * with `{ relay }`. Subscribers in the publishing process get the message directly (in a later
 * microtask); the others get it when the primary has relayed it. Messages from one process
 * arrive everywhere in the order it published them; there is no order between publishers.
 * Delivery is at most once: a worker that is restarting misses what is published meanwhile.
 *
 * @example
 * {@includeCode ./ClusterBus.test.ts#clusterBus}
 */
export class ClusterBus implements Bus {
  readonly #local: InProcessBus;
  readonly #link: RelayLink | undefined;
  readonly #maxMessageBytes: number;
  readonly #detach: () => void;
  readonly #sending = new Set<Promise<void>>();
  #closed = false;

  /**
   * @param options - the relay (in the primary), size bound and handler-error hook.
   * @throws {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION` for a bad option, a
   *   missing `relay` in the cluster primary, or a `relay` in a worker.
   */
  constructor(options?: ClusterBusOptions) {
    const opts = optionsObject('options', options);
    checkOptionKeys(opts, OPTIONS, 'ClusterBus');
    const onHandlerError =
      opts.onHandlerError === undefined
        ? warnHandlerThrew
        : functionOption<(error: unknown, channel: string) => void>(
            'options.onHandlerError',
            opts.onHandlerError,
          );
    if (cluster.isWorker) {
      if (opts.relay !== undefined) {
        throw new InvalidOptionError('options.relay', 'absent in a cluster worker', opts.relay);
      }
      this.#link = undefined;
    } else {
      const link = opts.relay instanceof ClusterBusRelay ? relayLinks.get(opts.relay) : undefined;
      if (link === undefined) {
        throw new InvalidOptionError(
          'options.relay',
          'a ClusterBusRelay (required in the cluster primary: the one the supervisor feeds)',
          opts.relay,
        );
      }
      this.#link = link;
    }
    this.#maxMessageBytes = integerOption(
      'options.maxMessageBytes',
      opts.maxMessageBytes ?? this.#link?.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
      1,
    );
    this.#local = new InProcessBus({
      onHandlerError: (error, channel) => {
        try {
          onHandlerError(error, channel);
        } catch (hookError) {
          warnHandlerThrew(hookError, channel);
        }
      },
    });
    const deliver = (channel: string, message: JsonValue): void => {
      // Already checked by the relay (or by the publishing bus); a rejection here means closed.
      this.#local.publish(channel, message).catch(() => {});
    };
    if (this.#link !== undefined) {
      this.#detach = this.#link.attach(deliver);
    } else {
      if (workerBuses.size === 0) process.on('message', onWorkerMessage);
      workerBuses.add(deliver);
      this.#detach = () => {
        if (workerBuses.delete(deliver) && workerBuses.size === 0) process.off('message', onWorkerMessage);
      };
    }
  }

  /** `true` once `close()` or `destroy()` has been called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Sends `message` to the subscribers of `channel` in every process of the cluster: this
   * process's at once (in a later microtask), the others' through the primary. In a worker it
   * resolves once the message is written to the IPC channel, not when handlers have run.
   *
   * @param channel - a non-empty string of at most 1024 characters.
   * @param message - a JSON-serialisable value of at most `maxMessageBytes` as JSON text.
   * @returns a promise that resolves when the message is accepted.
   * @throws {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION`, as a rejection (never
   *   synchronously), for a bad channel, or a message that does not survive JSON or is too big.
   * @throws {@link ClosedError} `ERR_LOADSTONE_CLOSED`, as a rejection, after
   *   `close()`/`destroy()`, or in a worker whose IPC channel to the primary has closed.
   */
  async publish(channel: string, message: JsonValue): Promise<void> {
    if (this.#closed) throw new ClosedError('ClusterBus');
    checkChannel(channel);
    assertJson(message);
    const bytes = Buffer.byteLength(JSON.stringify(message));
    if (bytes > this.#maxMessageBytes) {
      throw new InvalidOptionError(
        'message',
        `at most ${this.#maxMessageBytes} bytes as JSON (options.maxMessageBytes)`,
        `${bytes} bytes`,
      );
    }
    if (this.#link !== undefined) {
      this.#link.publish(channel, message);
      return;
    }
    if (!process.connected || process.send === undefined) {
      throw new ClosedError('ClusterBus (the IPC channel to the primary)');
    }
    for (const deliver of workerBuses) deliver(channel, message);
    const sent = new Promise<void>((resolve, reject) => {
      process.send?.(busEnvelope(BUS_PUBLISH, channel, message), undefined, {}, (error: Error | null) => {
        if (error) reject(new ClosedError('ClusterBus (the IPC channel to the primary)', { cause: error }));
        else resolve();
      });
    });
    this.#sending.add(sent);
    try {
      await sent;
    } finally {
      this.#sending.delete(sent);
    }
  }

  /** {@inheritDoc Bus.subscribe} */
  subscribe(channel: string, handler: BusHandler): Disposable {
    if (this.#closed) throw new ClosedError('ClusterBus');
    checkChannel(channel);
    return this.#local.subscribe(channel, handler);
  }

  /**
   * Stops accepting messages and subscriptions at once (messages from other processes are no
   * longer delivered to this bus), then waits until messages already accepted have been handed
   * to this process's handlers and written to the IPC channel. Idempotent.
   *
   * @param options - a `signal` to stop waiting: undelivered messages are then dropped as by
   *   {@link ClusterBus.destroy}.
   * @returns a promise that resolves once drained.
   * @throws `signal.reason` (an {@link AbortedError} if it is not an `Error`), as a rejection,
   *   when `options.signal` aborts first.
   * @throws {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION`, as a rejection, when
   *   `options.signal` is not an `AbortSignal`.
   */
  async close(options?: CloseOptions): Promise<void> {
    const signal = signalOption(options, 'ClusterBus.close');
    this.#stopIntake();
    const drained =
      signal?.aborted === true
        ? Promise.resolve()
        : Promise.all([this.#local.close(), ...[...this.#sending].map((sent) => sent.catch(() => {}))]).then(
            () => {},
          );
    return drainUnlessAborted(drained, signal, (reason) => this.destroy(reason), 'ClusterBus close');
  }

  /**
   * Stops accepting messages and subscriptions and drops the messages not yet delivered in this
   * process (those already written to the IPC channel still reach the others).
   *
   * @param reason - accepted for the {@link Closeable} contract.
   * @returns a promise that resolves at once.
   */
  async destroy(reason?: unknown): Promise<void> {
    this.#stopIntake();
    await this.#local.destroy(reason);
  }

  /** Calls {@link ClusterBus.close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #stopIntake(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#detach();
  }
}

function checkChannel(channel: string): void {
  nonEmptyStringOption('channel', channel);
  if (channel.length > MAX_CHANNEL_LENGTH) {
    throw new InvalidOptionError('channel', `at most ${MAX_CHANNEL_LENGTH} characters long`, channel);
  }
}

function warnHandlerThrew(error: unknown, channel: string): void {
  warnThrew(
    'LOADSTONE_WARN_BUS_HANDLER_THREW',
    `A ClusterBus handler for channel ${JSON.stringify(channel)} threw`,
    error,
  );
}
