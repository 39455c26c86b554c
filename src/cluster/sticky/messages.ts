// The sticky IPC message (see ../protocol.ts for the envelope).
import { isLoadstoneMessage, type LoadstoneMessage, PROTOCOL_VERSION } from '../protocol.js';

/** primary → worker, sent with the socket handle: `{ head?: base64 of bytes already read }`. @internal */
export const STICKY_CONNECTION = 'sticky:connection';

/** @internal */
export type StickyConnectionMessage = LoadstoneMessage & {
  readonly type: typeof STICKY_CONNECTION;
  readonly head?: string;
};

/** @internal */
export function stickyConnectionMessage(head: Buffer | undefined): StickyConnectionMessage {
  return head === undefined || head.length === 0
    ? { loadstone: PROTOCOL_VERSION, type: STICKY_CONNECTION }
    : { loadstone: PROTOCOL_VERSION, type: STICKY_CONNECTION, head: head.toString('base64') };
}

/** @internal */
export function isStickyConnectionMessage(value: unknown): value is StickyConnectionMessage {
  return (
    isLoadstoneMessage(value) &&
    value.type === STICKY_CONNECTION &&
    (value.head === undefined || typeof value.head === 'string')
  );
}
