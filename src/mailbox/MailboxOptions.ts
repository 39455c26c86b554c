import { InvalidOptionError } from '../core/errors/InvalidOptionError.js';
import type { ScriptRunner } from '../core/internal/luaScript.js';
import { checkOptionKeys, integerOption, optionNames, optionsObject } from '../core/internal/validate.js';

/**
 * The part of an ioredis client a {@link Mailbox} uses: `evalsha` and `eval`. ioredis's `Redis`
 * and `Cluster` both fit (a recipient's keys share one hash tag, so each call is one slot).
 */
export type MailboxRedisClient = {
  /** Runs a cached script by its SHA1. */
  evalsha(sha: string, numKeys: number, ...keysAndArgs: (string | number)[]): Promise<unknown>;
  /** Runs a script from source. */
  eval(script: string, numKeys: number, ...keysAndArgs: (string | number)[]): Promise<unknown>;
};

/** Options of {@link Mailbox}. */
export type MailboxOptions = {
  /** Your ioredis `Redis` or `Cluster` client; the mailbox neither connects nor closes it. */
  readonly client: MailboxRedisClient;
  /**
   * Starts every key: a recipient's keys are `<prefix>{<recipient>}:s` (the stream) and `:m`
   * (its counters); the braces are the hash tag (`{`, `}` and `%` in a recipient are
   * percent-encoded inside it).
   * @default 'lsm:'
   */
  readonly prefix?: string;
  /**
   * Most unacknowledged messages one recipient keeps: the bound on what a flood of messages to
   * one recipient can cost. Past it, `whenFull` says what happens. 1 to 1,000,000.
   * @default 1_000
   */
  readonly maxMessages?: number;
  /**
   * What `post` does when the recipient's mailbox is full: `'drop-oldest'` stores the new
   * message and deletes the oldest unacknowledged one (counted as lost; the reader gets
   * `gap: true`), `'reject'` stores nothing and throws `CapacityExceededError`.
   * @default 'drop-oldest'
   */
  readonly whenFull?: 'drop-oldest' | 'reject';
  /**
   * How long a message waits to be acknowledged, in ms from when it was stored; past it, it is
   * deleted unread (counted as lost). A mailbox with no post and no ack for this long is
   * forgotten entirely. 1,000 ms to 365 days.
   * @default 86_400_000 (a day)
   */
  readonly ttlMs?: number;
  /** Largest message, as JSON text in UTF-8 bytes. 1 to 16 MiB. @default 65_536 */
  readonly maxMessageBytes?: number;
  /**
   * Longest wait for one call (one script) in ms; past it the call rejects with a
   * `TimeoutError`. A timed-out `post` may still have stored its message. `0` means no limit.
   * @default 5_000
   */
  readonly commandTimeoutMs?: number;
};

/** The options with their defaults. @internal */
export type ResolvedMailboxOptions = Required<Omit<MailboxOptions, 'client'>> & {
  readonly client: ScriptRunner;
};

const OPTIONS = optionNames<MailboxOptions>()([
  'client',
  'prefix',
  'maxMessages',
  'whenFull',
  'ttlMs',
  'maxMessageBytes',
  'commandTimeoutMs',
]);
const YEAR_MS = 365 * 86_400_000;

/** Checks `options` and fills in the defaults. @internal */
export function resolveMailboxOptions(options: MailboxOptions): ResolvedMailboxOptions {
  const opts = optionsObject('options', options) as Partial<MailboxOptions>;
  checkOptionKeys(opts, OPTIONS, 'Mailbox');
  const client = opts.client as Partial<MailboxRedisClient> | undefined;
  if (typeof client?.evalsha !== 'function' || typeof client.eval !== 'function') {
    throw new InvalidOptionError('options.client', 'an ioredis Redis or Cluster client', client);
  }
  if (opts.prefix !== undefined && typeof opts.prefix !== 'string') {
    throw new InvalidOptionError('options.prefix', 'a string', opts.prefix);
  }
  const whenFull = opts.whenFull ?? 'drop-oldest';
  if (whenFull !== 'drop-oldest' && whenFull !== 'reject') {
    throw new InvalidOptionError('options.whenFull', "'drop-oldest' or 'reject'", opts.whenFull);
  }
  return {
    client: client as ScriptRunner,
    prefix: opts.prefix ?? 'lsm:',
    maxMessages: integerOption('options.maxMessages', opts.maxMessages ?? 1_000, 1, 1_000_000),
    whenFull,
    ttlMs: integerOption('options.ttlMs', opts.ttlMs ?? 86_400_000, 1_000, YEAR_MS),
    maxMessageBytes: integerOption(
      'options.maxMessageBytes',
      opts.maxMessageBytes ?? 65_536,
      1,
      16 * 2 ** 20,
    ),
    commandTimeoutMs: integerOption(
      'options.commandTimeoutMs',
      opts.commandTimeoutMs ?? 5_000,
      0,
      2 ** 31 - 1,
    ),
  };
}
