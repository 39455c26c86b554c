/**
 * Durable per-recipient messages on Redis, for offline delivery.
 *
 * @module loadstone/mailbox
 */

export {
  Mailbox,
  type MailboxMessage,
  type MailboxRead,
  type MailboxReadOptions,
  type MailboxSize,
  type MailboxStats,
} from './Mailbox.js';
export type { MailboxOptions, MailboxRedisClient } from './MailboxOptions.js';
export { compareMailboxIds, isMailboxId } from './mailboxId.js';
