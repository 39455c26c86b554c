// The option-name check that every constructor and per-call options object runs first: typos,
// renamed options, `null`, names that only exist on Object.prototype, and the compile-time tie
// between a declared name list and its options type.
import { describe, expect, it } from 'vitest';
import { checkOptionKeys, optionNames } from './validate.js';

type Sample = { readonly sizeMs?: number; readonly name?: string };
type Either =
  | { readonly kind: 'a'; readonly alpha?: number }
  | { readonly kind: 'b'; readonly beta?: number };

const SAMPLE = optionNames<Sample>()(['sizeMs', 'name']);

describe('checkOptionKeys', () => {
  it('lets declared names through, undefined values included', () => {
    expect(() => checkOptionKeys({ sizeMs: 1, name: undefined }, SAMPLE, 'Sample')).not.toThrow();
  });

  it('refuses an unknown name, saying whose option it is not', () => {
    expect(() => checkOptionKeys({ sizeMS: 1 }, SAMPLE, 'Sample', {}, 'options.inner')).toThrow(
      expect.objectContaining({
        code: 'ERR_LOADSTONE_INVALID_OPTION',
        option: 'options.inner.sizeMS',
        expected: 'absent: it is not an option of Sample',
      }),
    );
  });

  it('points a renamed option at its new name', () => {
    expect(() => checkOptionKeys({ size: 1 }, SAMPLE, 'Sample', { size: 'sizeMs' })).toThrow(
      expect.objectContaining({ option: 'options.size', expected: 'absent: use `options.sizeMs`' }),
    );
  });

  it('does not take a name that only Object.prototype has for a renamed one', () => {
    expect(() => checkOptionKeys({ toString: 1 }, SAMPLE, 'Sample')).toThrow(
      expect.objectContaining({
        option: 'options.toString',
        expected: 'absent: it is not an option of Sample',
      }),
    );
  });

  it('refuses an own __proto__ key as unknown', () => {
    const hostile = JSON.parse('{"__proto__": {"sizeMs": 1}}') as object;
    expect(() => checkOptionKeys(hostile, SAMPLE, 'Sample')).toThrow(
      expect.objectContaining({ option: 'options.__proto__' }),
    );
  });

  it('refuses null for a declared name: absent is the default, null is not', () => {
    expect(() => checkOptionKeys({ sizeMs: null }, SAMPLE, 'Sample')).toThrow(
      expect.objectContaining({
        option: 'options.sizeMs',
        expected: 'a value, or absent for the default (not null)',
        received: null,
      }),
    );
  });
});

describe('optionNames', () => {
  it('makes a set of the names, every member of a union counted', () => {
    expect([...optionNames<Either>()(['kind', 'alpha', 'beta'])]).toEqual(['kind', 'alpha', 'beta']);
  });

  it('does not compile with a name missing or one too many', () => {
    // @ts-expect-error `name` is missing from the list
    optionNames<Sample>()(['sizeMs']);
    // @ts-expect-error `size` is not an option of Sample
    optionNames<Sample>()(['sizeMs', 'name', 'size']);
    // @ts-expect-error `beta` (of the union's second member) is missing
    optionNames<Either>()(['kind', 'alpha']);
  });
});
