// The IPC messages of cluster-wide state (see ../protocol.ts for the envelope): a worker sends the
// calls it made during one turn of its event loop as one `state:calls`; the primary answers
// them as one `state:replies`.

import { isLoadstoneMessage, type LoadstoneMessage, PROTOCOL_VERSION } from '../protocol.js';

/** worker → primary: calls made in one event-loop turn. @internal */
export const STATE_CALLS = 'state:calls';
/** primary → worker: their answers. @internal */
export const STATE_REPLIES = 'state:replies';
/**
 * primary → worker: surrender your rate-limit share of these keys; items `[recallId, namespaceId,
 * key]`, each answered with an `rl.surrender` call. @internal
 */
export const STATE_RECALL = 'state:recall';
/** primary → worker: these keys are split again, decide your share; items `[namespaceId, key]`. @internal */
export const STATE_SPLIT = 'state:split';

/** One call: its id (unique per worker), the operation, and the operation's arguments. @internal */
export type StateCall = readonly [id: number, op: string, ...args: unknown[]];
/**
 * One answer: `[id, 0, value]` for a result, `[id, 1, code, message]` for an error; the code is an
 * {@link ErrorCode} the worker turns back into that error. @internal
 */
export type StateReply =
  | readonly [id: number, failed: 0, value: unknown]
  | readonly [id: number, failed: 1, code: string, message: string];

/** Most calls one `state:calls` may carry, so one message cannot stall the primary. @internal */
export const MAX_CALLS_PER_MESSAGE = 10_000;

/** Builds a `state:calls` or `state:replies` message. @internal */
export function stateEnvelope(type: typeof STATE_CALLS, items: readonly StateCall[]): LoadstoneMessage;
export function stateEnvelope(type: typeof STATE_REPLIES, items: readonly StateReply[]): LoadstoneMessage;
export function stateEnvelope(type: string, items: readonly unknown[]): LoadstoneMessage;
export function stateEnvelope(type: string, items: readonly unknown[]): LoadstoneMessage {
  return { loadstone: PROTOCOL_VERSION, type, items };
}

/**
 * The items of a received `state:*` message of `type`, or `undefined` when it is not one (or is
 * malformed: not an array, or longer than {@link MAX_CALLS_PER_MESSAGE}). Never throws.
 * @internal
 */
export function stateItems(value: unknown, type: string): unknown[] | undefined {
  if (!isLoadstoneMessage(value) || value.type !== type) return undefined;
  const items = value.items;
  if (!Array.isArray(items) || items.length > MAX_CALLS_PER_MESSAGE) return undefined;
  return items;
}

/** `true` for an id a worker may give a call: a safe integer >= 0. @internal */
export function isCallId(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}
