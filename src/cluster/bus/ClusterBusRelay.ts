import type { Worker } from 'node:cluster';
import type { InvalidOptionError } from '../../core/errors/InvalidOptionError.js';
import {
  checkOptionKeys,
  functionOption,
  integerOption,
  optionNames,
  optionsObject,
} from '../../core/internal/validate.js';
import type { JsonValue } from '../../core/Json.js';
import type { MetricsSource } from '../../core/MetricsSource.js';
import type { LoadstoneMessage } from '../protocol.js';
import type { ClusterBusRelayOptions } from './ClusterBusRelayOptions.js';
import {
  BUS_DELIVER,
  BUS_PUBLISH,
  type BusDropReason,
  busEnvelope,
  checkBusEnvelope,
  DEFAULT_MAX_MESSAGE_BYTES,
} from './messages.js';

const OPTIONS = optionNames<ClusterBusRelayOptions>()(['workers', 'maxMessageBytes']);

/** A snapshot of {@link ClusterBusRelay} counters since it was created. */
export type ClusterBusRelayStats = {
  /** Valid `bus:publish` messages received from workers and fanned out. */
  readonly relayed: number;
  /** Messages published by `ClusterBus` instances in the primary and sent to the workers. */
  readonly published: number;
  /** `bus:deliver` messages handed to worker IPC channels. */
  readonly sent: number;
  /** Sends that failed (the worker disconnected meanwhile); the message is lost for that worker only. */
  readonly sendFailures: number;
  /** Malformed or unexpected `bus:*` messages dropped, in total. */
  readonly dropped: number;
  /** Dropped messages by reason. */
  readonly droppedByReason: Readonly<Record<BusDropReason, number>>;
};

/** What a primary-side ClusterBus needs from its relay. Not part of the public surface. @internal */
export type RelayLink = {
  /** Adds a bus to the ones receiving workers' messages; returns its removal. */
  attach(deliver: (channel: string, message: JsonValue) => void): () => void;
  /** Delivers to every attached bus (but `except`), then sends to every worker. */
  publish(channel: string, message: JsonValue, except?: (channel: string, message: JsonValue) => void): void;
  readonly maxMessageBytes: number;
};

/** @internal */
export const relayLinks = new WeakMap<ClusterBusRelay, RelayLink>();

/**
 * The cluster primary's half of {@link ClusterBus}: receives each `bus:publish` a worker sends,
 * checks it, and fans it out as `bus:deliver` to every other connected worker and to the
 * `ClusterBus` instances of the primary built with this relay.
 *
 * Every message is checked before anything is forwarded: the exact fields, a channel that is a
 * non-empty string of at most 1024 characters, a message that is plain JSON (no cycles, class
 * instances, `NaN`, bigints — which `serialization: 'advanced'` could carry) and at most
 * `maxMessageBytes` as text. A message that fails is counted in {@link ClusterBusRelay.stats}
 * and dropped; `receive()` never throws, so a buggy or hostile worker cannot crash the primary
 * or reach the other workers.
 *
 * `ClusterSupervisor` creates one and feeds it; build your own only with a hand-written primary.
 *
 * @example
 * {@includeCode ./ClusterBusRelay.test.ts#relay}
 */
export class ClusterBusRelay implements MetricsSource<ClusterBusRelayStats> {
  readonly #workers: () => Iterable<Worker>;
  readonly #maxMessageBytes: number;
  readonly #buses = new Set<(channel: string, message: JsonValue) => void>();
  #relayed = 0;
  #published = 0;
  #sent = 0;
  #sendFailures = 0;
  readonly #dropped: Record<BusDropReason, number> = { type: 0, fields: 0, channel: 0, message: 0, size: 0 };

  /**
   * @param options - where the workers are, and the message size bound.
   * @throws {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION` for a bad option.
   */
  constructor(options: ClusterBusRelayOptions) {
    const opts = optionsObject('options', options);
    checkOptionKeys(opts, OPTIONS, 'ClusterBusRelay');
    this.#workers = functionOption('options.workers', opts.workers);
    this.#maxMessageBytes = integerOption(
      'options.maxMessageBytes',
      opts.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
      1,
    );
    relayLinks.set(this, {
      attach: (deliver) => {
        this.#buses.add(deliver);
        return () => this.#buses.delete(deliver);
      },
      publish: (channel, message, except) => {
        this.#published++;
        this.#fanOut(channel, message, undefined, except);
      },
      maxMessageBytes: this.#maxMessageBytes,
    });
  }

  /**
   * Handles one `bus:*` message a worker sent: relays it when valid, else counts and drops it.
   * Never throws.
   *
   * @param from - the worker that sent it (it does not get its own message back: its
   *   `ClusterBus` delivered it locally already).
   * @param message - a loadstone envelope whose type starts with `bus:`.
   * @returns `true` when relayed, `false` when dropped as malformed or unexpected.
   */
  receive(from: Worker, message: LoadstoneMessage): boolean {
    const problem = checkBusEnvelope(message, BUS_PUBLISH, this.#maxMessageBytes);
    if (problem !== undefined) {
      this.#dropped[problem]++;
      return false;
    }
    this.#relayed++;
    const { channel, message: payload } = message as unknown as { channel: string; message: JsonValue };
    this.#fanOut(channel, payload, from);
    return true;
  }

  /**
   * Counters since creation.
   * @returns a fresh snapshot.
   */
  stats(): Readonly<ClusterBusRelayStats> {
    const droppedByReason = { ...this.#dropped };
    return {
      relayed: this.#relayed,
      published: this.#published,
      sent: this.#sent,
      sendFailures: this.#sendFailures,
      dropped: Object.values(droppedByReason).reduce((sum, n) => sum + n, 0),
      droppedByReason,
    };
  }

  #fanOut(
    channel: string,
    message: JsonValue,
    from: Worker | undefined,
    except?: (channel: string, message: JsonValue) => void,
  ): void {
    for (const deliver of this.#buses) if (deliver !== except) deliver(channel, message);
    let workers: Iterable<Worker>;
    try {
      workers = this.#workers();
    } catch {
      return;
    }
    const envelope = busEnvelope(BUS_DELIVER, channel, message);
    try {
      for (const worker of workers) {
        if (worker === from || !worker.isConnected()) continue;
        this.#send(worker, envelope);
      }
    } catch {
      // A user-supplied iterable that throws midway: the remaining workers miss this message.
    }
  }

  #send(worker: Worker, envelope: LoadstoneMessage): void {
    try {
      // With a callback, a send on a channel closing meanwhile reports here instead of as an
      // 'error' event that, unhandled on the Worker, would crash the primary.
      worker.send(envelope, undefined, (error: Error | null) => {
        if (error) {
          this.#sent--;
          this.#sendFailures++;
        }
      });
      this.#sent++;
    } catch {
      this.#sendFailures++;
    }
  }
}
