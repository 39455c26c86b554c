// A record keyed by users' names keeps every name as an own entry, `__proto__` included.
import { describe, expect, it } from 'vitest';
import { setOwnEntry } from './ownEntry.js';

describe('setOwnEntry', () => {
  it('keeps __proto__ as an own, enumerable, writable entry, leaving the prototype alone', () => {
    const record: Record<string, number> = {};
    setOwnEntry(record, '__proto__', 1);
    expect(Object.getPrototypeOf(record)).toBe(Object.prototype);
    expect(Object.keys(record)).toEqual(['__proto__']);
    expect(JSON.stringify(record)).toBe('{"__proto__":1}');
    const descriptor = Object.getOwnPropertyDescriptor(record, '__proto__');
    expect(descriptor).toMatchObject({ value: 1, enumerable: true, writable: true, configurable: true });
    setOwnEntry(record, '__proto__', 2); // a second set replaces it
    expect(Object.getOwnPropertyDescriptor(record, '__proto__')?.value).toBe(2);
    Reflect.deleteProperty(record, '__proto__'); // configurable: it can go again
    expect(Object.keys(record)).toEqual([]);
  });

  it('sets any other name as a plain entry', () => {
    const record: Record<string, number> = {};
    setOwnEntry(record, 'constructor', 3);
    setOwnEntry(record, 'db', 4);
    expect(record).toEqual({ constructor: 3, db: 4 });
  });
});
