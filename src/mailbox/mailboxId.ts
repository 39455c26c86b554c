// A mailbox message id is the Redis stream id XADD gave it: `<ms>-<sequence>`. Ids of one
// recipient rise in the order messages were stored, so a reader keeps the last one it saw as
// its cursor and drops any copy at or below it.
import { InvalidOptionError } from '../core/errors/InvalidOptionError.js';

/** Both parts stay below 2^53, so the scripts' Lua numbers (doubles) compare them exactly. */
const ID = /^(\d{1,15})-(\d{1,15})$/;

/** Throws an {@link InvalidOptionError} unless `id` is a mailbox id; `path` names the argument. */
export function checkMailboxId(path: string, id: unknown): string {
  if (typeof id !== 'string' || !ID.test(id)) {
    throw new InvalidOptionError(path, 'a mailbox id (`<ms>-<sequence>`, as returned by post)', id);
  }
  return id;
}

/**
 * Whether `value` is a mailbox id (`<ms>-<sequence>`): for checking an id a client sent before
 * passing it to `read` or `ack`.
 *
 * @example
 * ```ts
 * import { isMailboxId } from 'loadstone/mailbox';
 *
 * isMailboxId('1733500000000-0'); // true
 * isMailboxId('$'); // false
 * ```
 */
export function isMailboxId(value: unknown): value is string {
  return typeof value === 'string' && ID.test(value);
}

/**
 * Orders two mailbox ids of one recipient: negative when `a` was stored before `b`, 0 when they
 * are the same, positive after. A reader uses it to drop a message it already has (a live copy
 * that also came in a replay).
 *
 * @example
 * ```ts
 * import { compareMailboxIds } from 'loadstone/mailbox';
 *
 * compareMailboxIds('1733500000000-1', '1733500000000-12'); // < 0
 * ```
 * @throws {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION` when either is not a mailbox id.
 */
export function compareMailboxIds(a: string, b: string): number {
  const [, aMs, aSeq] = ID.exec(checkMailboxId('a', a)) as RegExpExecArray;
  const [, bMs, bSeq] = ID.exec(checkMailboxId('b', b)) as RegExpExecArray;
  return Number(aMs) - Number(bMs) || Number(aSeq) - Number(bSeq);
}
