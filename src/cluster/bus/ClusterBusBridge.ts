import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Bus } from '../../core/Bus.js';
import type { Closeable, CloseOptions } from '../../core/Closeable.js';
import { InvalidOptionError } from '../../core/errors/InvalidOptionError.js';
import { drainUnlessAborted } from '../../core/internal/abort.js';
import { findJsonProblem } from '../../core/internal/json.js';
import { signalOption } from '../../core/internal/signalOption.js';
import {
  checkOptionKeys,
  implementationOption,
  nonEmptyStringOption,
  optionNames,
  optionsObject,
} from '../../core/internal/validate.js';
import type { JsonValue } from '../../core/Json.js';
import type { MetricsSource } from '../../core/MetricsSource.js';
import { ClusterBusRelay, type RelayLink, relayLinks } from './ClusterBusRelay.js';
import { MAX_CHANNEL_LENGTH } from './messages.js';

/** Options of {@link ClusterBusBridge}. */
export type ClusterBusBridgeOptions = {
  /** This machine's relay: `supervisor.busRelay`. */
  readonly relay: ClusterBusRelay;
  /**
   * The bus between machines, usually a `RedisBus`: the bridge's one subscription on it is this
   * machine's only one. The bridge owns it and closes it on `close()`.
   */
  readonly remote: Bus;
  /**
   * The one channel on `remote` every machine's bridge publishes to and listens on. Bridges that
   * share it form one bus; a different channel makes a separate group of machines.
   * @default 'loadstone:bridge'
   */
  readonly channel?: string;
};

/** A snapshot of {@link ClusterBusBridge} counters since it was created. */
export type ClusterBusBridgeStats = {
  /** Messages of this machine (its workers' and its primary's) sent to the other machines. */
  readonly forwarded: number;
  /** Messages from other machines fanned out to this machine's workers and primary buses. */
  readonly received: number;
  /** Sends to `remote` that failed (Redis down, …): those messages reached this machine only. */
  readonly failed: number;
  /** Malformed messages on the bridge channel, dropped. */
  readonly dropped: number;
};

/** What travels on the bridge channel: origin bridge, channel, message. */
type Carried = { readonly o: string; readonly c: string; readonly m: JsonValue };

const OPTIONS = optionNames<ClusterBusBridgeOptions>()(['relay', 'remote', 'channel']);
/** Largest message carried across, as counted by nodes of its JSON (a bound on the check's walk). */
const MAX_NODES = 1_048_576;

/**
 * One bus for many machines with one pub/sub pair per machine: the primary joins its cluster bus
 * (`ClusterBus` over IPC) to a bus between machines (`RedisBus`). Every message a worker or the
 * primary publishes goes to the workers of this machine over IPC, as always, and once to the
 * other machines; a message from another machine is fanned out to this machine's workers and
 * primary buses. Workers keep using `ClusterBus` and open no Redis connection for it.
 *
 * - **No loops, no duplicates**: each message carries its bridge's origin id; a bridge drops its
 *   own echo and never sends a received message back, so each message reaches each process once.
 * - **Order**: messages of one machine reach another in the order its primary relayed them (one
 *   connection each way).
 * - **Worker lifecycle notices** cross too, with their host, so `Presence` on other machines drops
 *   a crashed worker's users at once.
 * - A message that cannot be sent (Redis down) reaches this machine only and is counted
 *   (`stats().failed`): the bus is at most once, as Redis pub/sub is.
 *
 * `ClusterSupervisor.bridgeBus(remote)` creates one and closes it after the workers exit (their
 * goodbyes still cross).
 *
 * @example
 * {@includeCode ./ClusterBusBridge.test.ts#bridge}
 */
export class ClusterBusBridge implements Closeable, MetricsSource<ClusterBusBridgeStats> {
  readonly #link: RelayLink;
  readonly #remote: Bus;
  readonly #channel: string;
  readonly #origin = `${hostname()}/${process.pid}/${randomBytes(6).toString('hex')}`;
  readonly #deliver = (channel: string, message: JsonValue): void => this.#forward(channel, message);
  readonly #detach: () => void;
  readonly #subscription: Disposable;
  #forwarded = 0;
  #received = 0;
  #failed = 0;
  #dropped = 0;
  #closing: Promise<void> | undefined;

  /**
   * @param options - the relay, the remote bus and its channel.
   * @throws {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION` for a bad or unknown option.
   */
  constructor(options: ClusterBusBridgeOptions) {
    const opts = optionsObject('options', options) as Partial<ClusterBusBridgeOptions>;
    checkOptionKeys(opts, OPTIONS, 'ClusterBusBridge');
    const link = opts.relay instanceof ClusterBusRelay ? relayLinks.get(opts.relay) : undefined;
    if (link === undefined) throw new InvalidOptionError('options.relay', 'a ClusterBusRelay', opts.relay);
    this.#link = link;
    this.#remote = implementationOption<Bus>(
      'options.remote',
      opts.remote,
      ['publish', 'subscribe'],
      'a Bus',
    );
    this.#channel = nonEmptyStringOption('options.channel', opts.channel ?? 'loadstone:bridge');
    this.#subscription = this.#remote.subscribe(this.#channel, (message) => this.#receive(message));
    this.#detach = link.attach(this.#deliver);
  }

  /** `true` once `close()` or `destroy()` has been called. */
  get closed(): boolean {
    return this.#closing !== undefined;
  }

  /** {@inheritDoc MetricsSource.stats} */
  stats(): ClusterBusBridgeStats {
    return {
      forwarded: this.#forwarded,
      received: this.#received,
      failed: this.#failed,
      dropped: this.#dropped,
    };
  }

  /**
   * Stops bridging and closes the remote bus. Idempotent.
   * @param options - a `signal` to stop waiting for the remote bus's close.
   * @returns resolves once the remote bus closed.
   */
  close(options?: CloseOptions): Promise<void> {
    let signal: AbortSignal | undefined;
    try {
      signal = signalOption(options, 'ClusterBusBridge.close');
    } catch (error) {
      return Promise.reject(error);
    }
    this.#closing ??= this.#shutdown((remote) => remote.close());
    return drainUnlessAborted(
      this.#closing,
      signal,
      (reason) => this.destroy(reason),
      'ClusterBusBridge.close',
    );
  }

  /**
   * Stops bridging at once and destroys the remote bus. Idempotent.
   * @param reason - passed to the remote bus's `destroy`.
   */
  destroy(reason?: unknown): Promise<void> {
    this.#closing ??= this.#shutdown((remote) => remote.destroy(reason));
    return this.#closing;
  }

  /** {@inheritDoc ClusterBusBridge.close} */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #shutdown(end: (remote: Bus) => Promise<void>): Promise<void> {
    this.#detach();
    this.#subscription[Symbol.dispose]();
    await end(this.#remote);
  }

  #forward(channel: string, message: JsonValue): void {
    if (this.#closing !== undefined) return;
    const carried: Carried = { o: this.#origin, c: channel, m: message };
    this.#remote.publish(this.#channel, carried).then(
      () => this.#forwarded++,
      () => this.#failed++,
    );
  }

  #receive(value: JsonValue): void {
    if (this.#closing !== undefined) return;
    const carried = value as Partial<Carried> | null;
    if (carried?.o === this.#origin) return; // our own message, back from Redis
    if (
      typeof carried !== 'object' ||
      carried === null ||
      typeof carried.o !== 'string' ||
      typeof carried.c !== 'string' ||
      carried.c.length === 0 ||
      carried.c.length > MAX_CHANNEL_LENGTH ||
      !('m' in carried) ||
      findJsonProblem(carried.m, MAX_NODES) !== undefined
    ) {
      this.#dropped++;
      return;
    }
    this.#received++;
    // To this machine's workers and primary buses, but not back to the remote bus.
    this.#link.publish(carried.c, carried.m as JsonValue, this.#deliver);
  }
}
