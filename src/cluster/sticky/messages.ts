// The sticky IPC messages (see ../protocol.ts for the envelope).
import { isLoadstoneMessage, type LoadstoneMessage, PROTOCOL_VERSION } from '../protocol.js';

/**
 * primary → worker, sent with the socket handle: `{ head?: base64 of bytes already read, track?:
 * true when the primary balances by open connections and wants to hear when it closes }`. @internal
 */
export const STICKY_CONNECTION = 'sticky:connection';
/** worker → primary: `{ n }` handed connections closed since the last report. @internal */
export const STICKY_CLOSED = 'sticky:closed';

/** @internal */
export type StickyConnectionMessage = LoadstoneMessage & {
  readonly type: typeof STICKY_CONNECTION;
  readonly head?: string;
  readonly track?: true;
};

/** @internal */
export function stickyConnectionMessage(head: Buffer | undefined, track = false): StickyConnectionMessage {
  return {
    loadstone: PROTOCOL_VERSION,
    type: STICKY_CONNECTION,
    ...(head === undefined || head.length === 0 ? {} : { head: head.toString('base64') }),
    ...(track ? { track: true as const } : {}),
  };
}

/** @internal */
export function isStickyConnectionMessage(value: unknown): value is StickyConnectionMessage {
  return (
    isLoadstoneMessage(value) &&
    value.type === STICKY_CONNECTION &&
    (value.head === undefined || typeof value.head === 'string') &&
    (value.track === undefined || value.track === true)
  );
}

/** @internal */
export function stickyClosedMessage(n: number): LoadstoneMessage {
  return { loadstone: PROTOCOL_VERSION, type: STICKY_CLOSED, n };
}
