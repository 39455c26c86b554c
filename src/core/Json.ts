/** A JSON leaf: what `JSON.parse` can return that is not a container. */
export type JsonPrimitive = string | number | boolean | null;

/** A JSON array. */
export type JsonArray = readonly JsonValue[];

/**
 * A JSON object. Properties may be `undefined` so that optional fields type-check; like
 * `JSON.stringify`, serialising drops them.
 */
export type JsonObject = { readonly [key: string]: JsonValue | undefined };

/**
 * A plain serialisable value: survives `JSON.parse(JSON.stringify(value))` unchanged, so it can
 * cross a process, a thread or a network bus. No functions, `bigint`, symbols, class
 * instances (`Date`, `Map`) or cycles; numbers should be finite (`NaN` would arrive as `null`).
 *
 * Interfaces are not assignable to it (TypeScript gives them no index signature); constrain
 * such types with {@link JsonCompatible} instead.
 *
 * @example
 * {@includeCode ./Json.test.ts#jsonValue}
 */
export type JsonValue = JsonPrimitive | JsonArray | JsonObject;

/**
 * Maps `T` so that it is assignable back to `T` only when every property, recursively, is
 * JSON-serialisable. Use it as a self-referential constraint, `S extends JsonCompatible<S>`,
 * which, unlike `S extends JsonValue`, accepts interfaces.
 *
 * @typeParam T - the type to check.
 *
 * @example
 * {@includeCode ./Json.test.ts#jsonCompatible}
 */
export type JsonCompatible<T> = { [K in keyof T]: JsonCompatibleValue<T[K]> };

/**
 * One property of {@link JsonCompatible}: kept when serialisable, `never` when not.
 *
 * @typeParam V - the property's type.
 */
export type JsonCompatibleValue<V> = V extends JsonPrimitive | undefined
  ? V
  : V extends JsonValue // already JSON: recursing into JsonValue's own recursion never ends
    ? V
    : V extends bigint | symbol | ((...args: never) => unknown)
      ? never
      : JsonCompatible<V>;
