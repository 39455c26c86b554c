// The bus's IPC message types (see ../protocol.ts for the envelope) and the checks both sides
// apply to them.

import { findJsonProblem } from '../../core/internal/json.js';
import type { JsonValue } from '../../core/Json.js';
import { isLoadstoneMessage, type LoadstoneMessage, PROTOCOL_VERSION } from '../protocol.js';

/** worker → primary: publish `message` on `channel`. @internal */
export const BUS_PUBLISH = 'bus:publish';
/** primary → worker: deliver `message` published on `channel` elsewhere. @internal */
export const BUS_DELIVER = 'bus:deliver';

/** Longest channel name the bus carries, in UTF-16 code units. @internal */
export const MAX_CHANNEL_LENGTH = 1024;
/** Default bound on a message's size as JSON text, in bytes. @internal */
export const DEFAULT_MAX_MESSAGE_BYTES = 1_048_576;

/** Why the relay dropped a `bus:*` message. */
export type BusDropReason = 'type' | 'fields' | 'channel' | 'message' | 'size';

/** A `bus:publish` or `bus:deliver` message. @internal */
export type BusEnvelope = LoadstoneMessage & {
  readonly type: typeof BUS_PUBLISH | typeof BUS_DELIVER;
  readonly channel: string;
  readonly message: JsonValue;
};

/** Builds a bus envelope. @internal */
export function busEnvelope(
  type: typeof BUS_PUBLISH | typeof BUS_DELIVER,
  channel: string,
  message: JsonValue,
): BusEnvelope {
  return { loadstone: PROTOCOL_VERSION, type, channel, message };
}

const FIELDS = new Set(['loadstone', 'type', 'channel', 'message']);

/**
 * Checks a received bus envelope of the given type: exactly the four fields, a channel within
 * bounds, a plain-JSON message whose text fits in `maxMessageBytes`. Never throws.
 * @returns `undefined` when valid, else why not.
 * @internal
 */
export function checkBusEnvelope(
  value: unknown,
  type: typeof BUS_PUBLISH | typeof BUS_DELIVER,
  maxMessageBytes: number,
): BusDropReason | undefined {
  try {
    if (!isLoadstoneMessage(value) || value.type !== type) return 'type';
    for (const key of Object.keys(value)) if (!FIELDS.has(key)) return 'fields';
    const { channel, message } = value;
    if (typeof channel !== 'string' || channel.length === 0 || channel.length > MAX_CHANNEL_LENGTH) {
      return 'channel';
    }
    if (!('message' in value)) return 'message';
    // Every JSON value costs at least one byte of text, so maxMessageBytes bounds the walk too.
    const problem = findJsonProblem(message, Math.min(maxMessageBytes, Number.MAX_SAFE_INTEGER));
    if (problem !== undefined) return problem.reason === 'size' ? 'size' : 'message';
    if (
      maxMessageBytes !== Number.POSITIVE_INFINITY &&
      Buffer.byteLength(JSON.stringify(message)) > maxMessageBytes
    ) {
      return 'size';
    }
    return undefined;
  } catch {
    // A getter or proxy from user code sharing the channel: malformed, whatever it threw.
    return 'message';
  }
}
