// Records keyed by a user's names (checks, pools, tiers, slots) must hold every name, including
// `__proto__`: a plain `record[name] = value` with that name replaces the object's prototype
// instead, and the entry vanishes from the record, its JSON and everything built from it.

/** Sets `record[key]` as an own enumerable property, whatever the key. @internal */
export function setOwnEntry<T>(record: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__') {
    Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    record[key] = value;
  }
}
