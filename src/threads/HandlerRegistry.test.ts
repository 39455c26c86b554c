// The numbering of a pool's task functions: one id per module and export, the pool's own module
// by default, and a bound on how many it numbers (a task's name may be request data).
import { describe, expect, it } from 'vitest';
import { HandlerRegistry, MAX_HANDLER_NAME_LENGTH, MAX_HANDLERS } from './HandlerRegistry.js';

const own = 'file:///app/worker.js';

describe('HandlerRegistry', () => {
  it('gives each module and export one id, the pool’s module when none is named', () => {
    const registry = new HandlerRegistry(own);
    const hash = registry.idFor(undefined, 'hash');
    expect(registry.idFor(undefined, 'hash')).toBe(hash);
    expect(registry.idFor(own, 'hash')).toBe(hash);
    const fallback = registry.idFor(undefined, undefined);
    expect(fallback).not.toBe(hash);
    expect(registry.definition(hash)).toEqual({ url: own, name: 'hash' });
    expect(registry.definition(fallback)).toEqual({ url: own, name: null });
    expect(registry.idFor('file:///app/other.js', 'hash')).not.toBe(hash);
  });

  it('refuses an empty name, and a call naming no module in a pool that has none', () => {
    expect(() => new HandlerRegistry(own).idFor(undefined, '')).toThrow(
      expect.objectContaining({ code: 'ERR_LOADSTONE_INVALID_OPTION', option: 'options.name' }),
    );
    expect(() => new HandlerRegistry(undefined).idFor(undefined, 'hash')).toThrow(
      expect.objectContaining({ option: 'options.filename' }),
    );
  });

  it(`refuses a name longer than ${MAX_HANDLER_NAME_LENGTH} characters, and takes one that long`, () => {
    const registry = new HandlerRegistry(own);
    const longest = 'n'.repeat(MAX_HANDLER_NAME_LENGTH);
    expect(registry.definition(registry.idFor(undefined, longest)).name).toBe(longest);
    expect(() => registry.idFor(undefined, `${longest}n`)).toThrow(
      expect.objectContaining({
        code: 'ERR_LOADSTONE_INVALID_OPTION',
        option: 'options.name',
        expected: `a non-empty string of at most ${MAX_HANDLER_NAME_LENGTH} characters`,
      }),
    );
  });

  it(`numbers at most ${MAX_HANDLERS} task functions, and still answers the known ones`, () => {
    const registry = new HandlerRegistry(own);
    for (let i = 0; i < MAX_HANDLERS; i++) registry.idFor(undefined, `task${i}`);
    expect(() => registry.idFor(undefined, 'one-more')).toThrow(
      expect.objectContaining({
        code: 'ERR_LOADSTONE_INVALID_OPTION',
        option: 'options.name',
        received: 'one-more',
      }),
    );
    expect(() => registry.idFor('file:///app/other.js', undefined)).toThrow(
      expect.objectContaining({ option: 'options.filename' }),
    );
    expect(registry.idFor(undefined, 'task7')).toBe(7);
  });
});
