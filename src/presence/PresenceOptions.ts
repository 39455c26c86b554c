import type { Bus } from '../core/Bus.js';
import { type Clock, systemClock } from '../core/Clock.js';
import { InvalidOptionError } from '../core/errors/InvalidOptionError.js';
import { clockOption } from '../core/internal/clockOption.js';
import {
  checkOptionKeys,
  implementationOption,
  integerOption,
  nonEmptyStringOption,
  optionNames,
  optionsObject,
} from '../core/internal/validate.js';

/** Options of {@link Presence}. */
export type PresenceOptions = {
  /**
   * Where the processes tell each other who joined and left: a `ClusterBus` for one machine, a
   * `RedisBus` for many. Every `Presence` sharing a `channel` on it shares one view.
   */
  readonly bus: Bus;
  /** The bus channel. Non-empty, at most 256 characters. @default 'loadstone:presence' */
  readonly channel?: string;
  /**
   * How often this process tells the others it is alive (and how many changes it has made, so
   * one that missed some asks for a full copy). Minimum 10.
   * @default 5_000
   */
  readonly heartbeatMs?: number;
  /**
   * How long another process may stay silent before its entries are dropped: the longest a
   * reader sees a user of a lost machine as online. At least `2 × heartbeatMs`.
   * @default 3 × heartbeatMs
   */
  readonly ttlMs?: number;
  /**
   * Most entries (an id held by one process) this process keeps for the whole view; past it,
   * entries from other processes are dropped and counted (`stats().dropped`), and a local
   * `join` throws `CapacityExceededError`. Minimum 1.
   * @default 1_000_000
   */
  readonly maxEntries?: number;
  /**
   * Most bytes the entries may take, estimated per entry as 160 bytes plus two per character of
   * the id and of the meta as JSON; past it, entries are refused as past `maxEntries`. Ids and
   * metas come from requests: this bounds what long ones cost. Minimum 1.
   * @default 67_108_864 (64 MiB: about 240,000 entries of a 36-character id and a 40-character meta)
   */
  readonly maxBytes?: number;
  /** Time source for expiry. @default systemClock */
  readonly clock?: Clock;
};

const OPTIONS = optionNames<PresenceOptions>()([
  'bus',
  'channel',
  'heartbeatMs',
  'ttlMs',
  'maxEntries',
  'maxBytes',
  'clock',
]);

/** Checks `options` and fills in the defaults; throws `InvalidOptionError` for a bad or unknown one. */
export function resolvePresenceOptions(options: PresenceOptions): Required<PresenceOptions> {
  const opts = optionsObject('options', options) as Partial<PresenceOptions>;
  checkOptionKeys(opts, OPTIONS, 'Presence');
  const channel = nonEmptyStringOption('options.channel', opts.channel ?? 'loadstone:presence');
  if (channel.length > 256)
    throw new InvalidOptionError('options.channel', 'at most 256 characters', opts.channel);
  const heartbeatMs = integerOption('options.heartbeatMs', opts.heartbeatMs ?? 5_000, 10, 3_600_000);
  return {
    bus: implementationOption<Bus>('options.bus', opts.bus, ['publish', 'subscribe'], 'a Bus'),
    channel,
    heartbeatMs,
    ttlMs: integerOption('options.ttlMs', opts.ttlMs ?? 3 * heartbeatMs, 2 * heartbeatMs, 86_400_000),
    maxEntries: integerOption('options.maxEntries', opts.maxEntries ?? 1_000_000, 1),
    maxBytes: integerOption('options.maxBytes', opts.maxBytes ?? 64 * 2 ** 20, 1),
    clock: clockOption(opts.clock, systemClock),
  };
}
