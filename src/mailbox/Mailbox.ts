import { CapacityExceededError } from '../core/errors/CapacityExceededError.js';
import { InvalidOptionError } from '../core/errors/InvalidOptionError.js';
import { withDeadline } from '../core/internal/deadline.js';
import { assertJson } from '../core/internal/json.js';
import { hashTagSafe, type LuaScript, runScript } from '../core/internal/luaScript.js';
import { checkOptionKeys, integerOption, optionNames, optionsObject } from '../core/internal/validate.js';
import type { JsonValue } from '../core/Json.js';
import type { MetricsSource } from '../core/MetricsSource.js';
import { type MailboxOptions, type ResolvedMailboxOptions, resolveMailboxOptions } from './MailboxOptions.js';
import { checkMailboxId } from './mailboxId.js';
import { mailboxScripts } from './scripts.js';

/** One stored message and its id. */
export type MailboxMessage<T extends JsonValue = JsonValue> = {
  /** Its id (`<ms>-<sequence>`): ids of one recipient rise in the order messages were stored. */
  readonly id: string;
  /** The message, as posted. */
  readonly message: T;
};

/** What {@link Mailbox.read} found. */
export type MailboxRead<T extends JsonValue = JsonValue> = {
  /** Unacknowledged messages after the cursor, oldest first. */
  readonly messages: MailboxMessage<T>[];
  /**
   * `true` when a message after the cursor may have been lost unread: the cap or the TTL deleted
   * one, or the mailbox was forgotten (no post or ack for `ttlMs`, or Redis lost its data) since
   * the cursor's message was read. The reader should refresh its state from your own records.
   * Never `true` for a read from the start (no `after`).
   */
  readonly gap: boolean;
  /** Messages to this recipient deleted unread so far (cap and TTL), over the mailbox's life. */
  readonly lost: number;
};

/** Where a recipient's mailbox stands. */
export type MailboxSize = {
  /** Messages stored and not yet acknowledged. */
  readonly unacknowledged: number;
  /** Messages deleted unread (cap and TTL), over the mailbox's life. */
  readonly lost: number;
  /** The id of the last message stored, or `undefined` for a mailbox that holds nothing. */
  readonly lastId: string | undefined;
};

/** A snapshot of one {@link Mailbox}'s counters (this process's calls only). */
export type MailboxStats = {
  /** Messages stored by `post` and `postMany`. */
  readonly posted: number;
  /** Messages `read` returned. */
  readonly read: number;
  /** Messages `ack` deleted. */
  readonly acknowledged: number;
  /** Messages deleted unread while this process posted (the oldest, past `maxMessages` or `ttlMs`). */
  readonly lost: number;
  /** Posts refused because the mailbox was full (`whenFull: 'reject'`). */
  readonly rejected: number;
  /** Calls that failed in Redis or timed out. */
  readonly failed: number;
};

/** Options of {@link Mailbox.read}. */
export type MailboxReadOptions = {
  /** The last id the reader has; messages after it are returned. Omitted: from the oldest. */
  readonly after?: string;
  /** Most messages returned. 1 to 10,000. @default 100 */
  readonly limit?: number;
};

/** Longest recipient, in characters. */
const MAX_RECIPIENT_LENGTH = 1_024;
const READ_OPTIONS = optionNames<MailboxReadOptions>()(['after', 'limit']);

/**
 * Offline delivery: a durable, capped, per-recipient message store on Redis (or a Redis
 * Cluster). Store a message with `post` **before** you send it live; the reader acknowledges what
 * it received (`ack` with the last id it saw), and a reader coming back, on any worker of any
 * machine, gets every unacknowledged message in order with `read({ after })`. A worker that dies
 * between sending and the ack loses nothing: the message stays until acknowledged.
 *
 * - **One recipient, one Redis stream**, written and read by one Lua script per call (atomic,
 *   one round trip); ids are the stream's, so they order a recipient's messages.
 * - **Bounded**: at most `maxMessages` per recipient (a flood drops the oldest, or is refused
 *   with `whenFull: 'reject'`), each message at most `ttlMs` old, every drop counted and reported
 *   to the next reader as `gap: true`, as Centrifugo's epoch does, instead of a silent hole.
 * - **Idempotent replay**: a reader keeps the last id it saw and drops copies at or below it
 *   ({@link compareMailboxIds}); `ack` of an id it already acknowledged does nothing.
 *
 * @example
 * {@includeCode ../../test/integration/mailbox.test.ts#mailbox}
 */
export class Mailbox<T extends JsonValue = JsonValue> implements MetricsSource<MailboxStats> {
  readonly #options: ResolvedMailboxOptions;
  #posted = 0;
  #read = 0;
  #acknowledged = 0;
  #lost = 0;
  #rejected = 0;
  #failed = 0;

  /**
   * @param options - the Redis client, the caps and the key prefix.
   * @throws {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION` for a bad or unknown option.
   */
  constructor(options: MailboxOptions) {
    this.#options = resolveMailboxOptions(options);
  }

  /**
   * Stores `message` for `recipient`.
   *
   * @returns the message's id.
   * @throws (as a rejection) {@link InvalidOptionError} for a bad recipient, a message that is
   * not JSON or is larger than `maxMessageBytes`; {@link CapacityExceededError}
   * `ERR_LOADSTONE_CAPACITY` when the mailbox is full and `whenFull` is `'reject'`; a
   * `TimeoutError` past `commandTimeoutMs`; Redis's own error.
   */
  async post(recipient: string, message: T): Promise<string> {
    const [id] = await this.postMany(recipient, [message]);
    return id as string;
  }

  /**
   * Stores `messages` for `recipient`, in order, in one call: all of them or (when refused)
   * none. At most `maxMessages` at once.
   *
   * @returns their ids, in order.
   * @throws as {@link Mailbox.post} does, and {@link InvalidOptionError} for an empty list or
   * more than `maxMessages`.
   */
  async postMany(recipient: string, messages: readonly T[]): Promise<string[]> {
    const { maxMessages, maxMessageBytes, whenFull, ttlMs } = this.#options;
    if (!Array.isArray(messages) || messages.length === 0 || messages.length > maxMessages) {
      throw new InvalidOptionError('messages', `an array of 1 to ${maxMessages} messages`, messages);
    }
    const texts = messages.map((message, i) => {
      const path = messages.length === 1 ? 'message' : `messages[${i}]`;
      assertJson(message, path);
      const text = JSON.stringify(message);
      const bytes = Buffer.byteLength(text);
      if (bytes > maxMessageBytes) {
        throw new InvalidOptionError(path, `at most ${maxMessageBytes} bytes as JSON`, `${bytes} bytes`);
      }
      return text;
    });
    const reply = (await this.#run(mailboxScripts.post, recipient, [
      maxMessages,
      ttlMs,
      whenFull,
      ...texts,
    ])) as [number, ...string[]];
    if (reply[0] === -1) {
      this.#rejected += messages.length;
      throw new CapacityExceededError(`Mailbox of ${JSON.stringify(recipient.slice(0, 64))}`, maxMessages);
    }
    this.#posted += messages.length;
    this.#lost += reply[0];
    return reply.slice(1) as string[];
  }

  /**
   * The unacknowledged messages of `recipient` after `options.after`, oldest first. Reading
   * deletes nothing: call {@link Mailbox.ack} for what the reader received.
   *
   * @throws (as a rejection) {@link InvalidOptionError} for a bad recipient, `after` or `limit`.
   */
  async read(recipient: string, options?: MailboxReadOptions): Promise<MailboxRead<T>> {
    const opts = optionsObject('options', options);
    checkOptionKeys(opts, READ_OPTIONS, 'Mailbox.read');
    const after = opts.after === undefined ? '' : checkMailboxId('options.after', opts.after);
    const limit = integerOption('options.limit', opts.limit ?? 100, 1, 10_000);
    const reply = (await this.#run(mailboxScripts.read, recipient, [after, limit, this.#options.ttlMs])) as [
      number,
      number,
      ...string[],
    ];
    const messages: MailboxMessage<T>[] = [];
    for (let i = 2; i < reply.length; i += 2) {
      messages.push({ id: reply[i] as string, message: JSON.parse(reply[i + 1] as string) as T });
    }
    this.#read += messages.length;
    return { messages, gap: reply[0] === 1, lost: reply[1] };
  }

  /**
   * The reader received every message of `recipient` up to `id`: they are deleted. An id past
   * the last message stored counts as the last one (a message stored later is never deleted by
   * an earlier ack); an id already acknowledged deletes nothing.
   *
   * @returns how many messages were deleted.
   * @throws (as a rejection) {@link InvalidOptionError} for a bad recipient or id.
   */
  async ack(recipient: string, id: string): Promise<number> {
    checkMailboxId('id', id);
    const deleted = (await this.#run(mailboxScripts.ack, recipient, [id, this.#options.ttlMs])) as number;
    this.#acknowledged += deleted;
    return deleted;
  }

  /**
   * How many messages `recipient` has waiting, how many were lost, and the last id.
   *
   * @throws (as a rejection) {@link InvalidOptionError} for a bad recipient.
   */
  async size(recipient: string): Promise<MailboxSize> {
    const [unacknowledged, lost, lastId] = (await this.#run(mailboxScripts.size, recipient, [
      this.#options.ttlMs,
    ])) as [number, number, string];
    return { unacknowledged, lost, lastId: lastId === '' ? undefined : lastId };
  }

  /** {@inheritDoc MetricsSource.stats} */
  stats(): MailboxStats {
    return {
      posted: this.#posted,
      read: this.#read,
      acknowledged: this.#acknowledged,
      lost: this.#lost,
      rejected: this.#rejected,
      failed: this.#failed,
    };
  }

  async #run(script: LuaScript, recipient: string, args: (string | number)[]): Promise<unknown> {
    if (typeof recipient !== 'string' || recipient.length === 0 || recipient.length > MAX_RECIPIENT_LENGTH) {
      throw new InvalidOptionError(
        'recipient',
        `a string of 1 to ${MAX_RECIPIENT_LENGTH} characters`,
        recipient,
      );
    }
    const key = `${this.#options.prefix}{${hashTagSafe(recipient)}}:`;
    try {
      return await withDeadline(
        runScript(this.#options.client, script, 2, [`${key}s`, `${key}m`, ...args]),
        this.#options.commandTimeoutMs,
        script.name,
      );
    } catch (error) {
      this.#failed++;
      throw error;
    }
  }
}
