/**
 * The IPC envelope every loadstone message between a cluster primary and its workers uses.
 *
 * User code may share the same IPC channel (`process.send`), so every loadstone message is a
 * plain object tagged `{ loadstone: 1, type }`; anything else is user traffic and is left alone.
 * The primary validates each envelope's fields before acting on it: a malformed or unexpected
 * message is counted and dropped, never thrown on.
 *
 * @module
 */

/** Version tag carried in the `loadstone` field of every envelope. */
export const PROTOCOL_VERSION = 1;

/**
 * A loadstone IPC message: a plain object with `loadstone: 1` and a string `type`
 * (`'bus:publish'`, `'sticky:connection'`, `'worker:ready'` …), plus fields specific to that type.
 */
export type LoadstoneMessage = {
  /** Always {@link PROTOCOL_VERSION}. */
  readonly loadstone: 1;
  /** Message type, `<area>:<name>`. */
  readonly type: string;
  /** Fields specific to the type; validated by whoever handles that type. */
  readonly [field: string]: unknown;
};

/**
 * Checks the envelope only (`loadstone === 1`, non-empty string `type`); the fields of each
 * type are validated by its handler.
 *
 * @param value - anything received over IPC.
 * @returns `true` when `value` is a loadstone envelope.
 */
export function isLoadstoneMessage(value: unknown): value is LoadstoneMessage {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const candidate = value as { loadstone?: unknown; type?: unknown };
  return (
    candidate.loadstone === PROTOCOL_VERSION &&
    typeof candidate.type === 'string' &&
    candidate.type.length > 0
  );
}

/** Builds an envelope. @internal */
export function envelope<const T extends string>(
  type: T,
  fields: Record<string, unknown> = {},
): LoadstoneMessage & { readonly type: T } {
  return { ...fields, loadstone: PROTOCOL_VERSION, type };
}

// Message types of the supervisor itself (the bus:* and sticky:* types belong to ./bus and ./sticky).

/** worker → primary: the server listens (or accepts sticky connections) and user `ready()` resolved. @internal */
export const MSG_READY = 'worker:ready';
/** worker → primary: periodic heartbeat carrying the worker's stats sample. @internal */
export const MSG_HEARTBEAT = 'worker:heartbeat';
/** worker → primary: the worker failed to start (factory or ready() threw; listen failed). @internal */
export const MSG_START_FAILED = 'worker:startFailed';
/** worker → primary: drain finished, closables closed; the worker is about to exit. @internal */
export const MSG_DRAINED = 'worker:drained';
/** primary → worker: stop accepting, drain in-flight requests, close closables, exit. @internal */
export const MSG_DRAIN = 'worker:drain';
/** primary → worker: shutdown is coming (pre-stop delay): fail readiness now, keep serving. @internal */
export const MSG_PRESTOP = 'worker:prestop';
