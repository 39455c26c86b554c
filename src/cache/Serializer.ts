/**
 * Turns values into text for a remote tier and back. Pluggable through `RedisTier`'s
 * `serializer` option; the default is {@link jsonSerializer}.
 *
 * A serializer receives the whole stored record (the value plus the cache's metadata: plain
 * numbers, strings and arrays), so it must round-trip plain objects.
 */
export type Serializer = {
  /**
   * @param value - the record to encode.
   * @returns its text form.
   */
  serialize(value: unknown): string;
  /**
   * @param text - what {@link Serializer.serialize} produced.
   * @returns the decoded record.
   */
  deserialize(text: string): unknown;
};

// Marker keys for the types plain JSON loses. A control character keeps them from colliding
// with ordinary object keys.
const DATE = '\u0000ls:date';
const BUFFER = '\u0000ls:buffer';

/**
 * The default {@link Serializer}: JSON, extended so that `Date` and `Buffer` values (anywhere in
 * the value) come back as a `Date` and a `Buffer`, not as a string and a `{ type, data }`
 * object. Anything else follows `JSON.stringify`: `undefined` properties and functions are
 * dropped, `Map`/`Set` become `{}`, `NaN` becomes `null`, class instances come back as plain
 * objects, and a `bigint` throws.
 *
 * @example
 * {@includeCode ./Serializer.test.ts#json}
 */
export const jsonSerializer: Serializer = Object.freeze({
  serialize(value: unknown): string {
    return JSON.stringify(value, replacer);
  },
  deserialize(text: string): unknown {
    return JSON.parse(text, reviver);
  },
});

function replacer(this: Record<string, unknown>, key: string, value: unknown): unknown {
  // `value` has already been through toJSON(); the holder still has the original.
  const raw = this[key];
  if (raw instanceof Date) {
    const ms = raw.getTime();
    return { [DATE]: Number.isNaN(ms) ? null : ms };
  }
  if (Buffer.isBuffer(raw)) return { [BUFFER]: raw.toString('base64') };
  return value;
}

function reviver(_key: string, value: unknown): unknown {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const record = value as Record<string, unknown>;
    if (DATE in record) {
      const ms = record[DATE];
      return new Date(typeof ms === 'number' ? ms : Number.NaN);
    }
    if (BUFFER in record && typeof record[BUFFER] === 'string') {
      return Buffer.from(record[BUFFER], 'base64');
    }
  }
  return value;
}
