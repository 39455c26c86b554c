// What Presence instances say to each other on the bus, and the checks a receiver applies: the
// bus may carry messages from any process (a Redis channel is open to every client), so nothing
// received is trusted before it is checked.

import type { JsonValue } from '../core/Json.js';

/** Longest id, in UTF-16 code units. */
export const MAX_ID_LENGTH = 1_024;
/** Most entries one join or state message carries: keeps every message well under a bus's size cap. */
export const ENTRIES_PER_MESSAGE = 500;

/** Who publishes: one Presence instance. */
export type Origin = {
  /** Unique per instance: `<host>/<pid>/<random>`. */
  readonly o: string;
  /** Its process id and host name, for worker lifecycle notices. */
  readonly pid: number;
  readonly host: string;
};

/**
 * `j`: joined (entries `[id, meta]`); `l`: left (ids); `b`: heartbeat with the sender's change
 * counter `v`; `s`: the sender's whole state, in parts (`last` on the final one); `q`: asks `to`
 * (an origin, or `*` for everyone) for its state; `x`: the sender closed.
 */
export type PresenceMessage =
  | (Origin & { readonly t: 'j'; readonly v: number; readonly e: [string, JsonValue][] })
  | (Origin & { readonly t: 'l'; readonly v: number; readonly ids: string[] })
  | (Origin & { readonly t: 'b'; readonly v: number })
  | (Origin & {
      readonly t: 's';
      readonly v: number;
      readonly e: [string, JsonValue][];
      readonly last: boolean;
    })
  | (Origin & { readonly t: 'q'; readonly to: string })
  | (Origin & { readonly t: 'x' });

const isId = (value: unknown): value is string =>
  typeof value === 'string' && value.length > 0 && value.length <= MAX_ID_LENGTH;
const isCount = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;

function isEntries(value: unknown): value is [string, JsonValue][] {
  return (
    Array.isArray(value) &&
    value.length <= ENTRIES_PER_MESSAGE &&
    value.every((entry) => Array.isArray(entry) && entry.length === 2 && isId(entry[0]))
  );
}

/** The message, typed, or `undefined` when it is not a well-formed presence message. */
export function readMessage(value: JsonValue): PresenceMessage | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const m = value as Record<string, JsonValue>;
  if (typeof m.o !== 'string' || m.o.length > 512 || !isCount(m.pid) || typeof m.host !== 'string')
    return undefined;
  switch (m.t) {
    case 'j':
      return isCount(m.v) && isEntries(m.e) ? (m as PresenceMessage) : undefined;
    case 'l':
      return isCount(m.v) && Array.isArray(m.ids) && m.ids.length <= ENTRIES_PER_MESSAGE && m.ids.every(isId)
        ? (m as PresenceMessage)
        : undefined;
    case 'b':
      return isCount(m.v) ? (m as PresenceMessage) : undefined;
    case 's':
      return isCount(m.v) && isEntries(m.e) && typeof m.last === 'boolean'
        ? (m as PresenceMessage)
        : undefined;
    case 'q':
      return typeof m.to === 'string' ? (m as PresenceMessage) : undefined;
    case 'x':
      return m as PresenceMessage;
    default:
      return undefined;
  }
}

/** One change made in this process: a join with its meta, or a leave. */
export type ChangeOp = readonly ['j', string, JsonValue] | readonly ['l', string];

/**
 * The messages that publish `ops` in order: each run of joins or leaves as one message (at most
 * {@link ENTRIES_PER_MESSAGE}), numbered from `v + 1` so receivers notice a lost one.
 */
export function changeMessages(origin: Origin, ops: readonly ChangeOp[], v: number): PresenceMessage[] {
  const messages: PresenceMessage[] = [];
  for (let i = 0; i < ops.length; ) {
    const kind = (ops[i] as ChangeOp)[0];
    let end = i;
    while (end < ops.length && end - i < ENTRIES_PER_MESSAGE && (ops[end] as ChangeOp)[0] === kind) end++;
    const run = ops.slice(i, end);
    const next = v + messages.length + 1;
    messages.push(
      kind === 'j'
        ? { ...origin, t: 'j', v: next, e: run.map((op) => [op[1], (op as ChangeOp & { 2: JsonValue })[2]]) }
        : { ...origin, t: 'l', v: next, ids: run.map((op) => op[1]) },
    );
    i = end;
  }
  return messages;
}
