// The option-name check that every constructor and per-call options object runs first: typos,
// renamed options, `null`, names that only exist on Object.prototype, and the compile-time tie
// between a declared name list and its options type.
import { describe, expect, it } from 'vitest';
import {
  booleanOption,
  checkOptionKeys,
  functionOption,
  implementationOption,
  integerOption,
  MAX_TIMER_MS,
  nonEmptyStringOption,
  numberOption,
  oneOfOption,
  optionNames,
  optionsObject,
  timerMsOption,
} from './validate.js';

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

/** The `expected` of the error `act` throws, after checking its code and path. */
function expectedOf(act: () => unknown, option = 'o'): string {
  try {
    act();
  } catch (error) {
    expect(error).toMatchObject({ code: 'ERR_LOADSTONE_INVALID_OPTION', option });
    return (error as { expected: string }).expected;
  }
  throw new Error('did not throw');
}

describe('the value validators', () => {
  it('integerOption: integers in range, its phrase naming the range', () => {
    expect(integerOption('o', 5, 1, 10)).toBe(5);
    expect(integerOption('o', 1, 1, 10)).toBe(1);
    expect(integerOption('o', 10, 1, 10)).toBe(10);
    expect(expectedOf(() => integerOption('o', 11, 1, 10))).toBe('an integer from 1 to 10');
    expect(expectedOf(() => integerOption('o', 0, 1))).toBe('an integer >= 1');
    for (const bad of [1.5, '1', null, Number.NaN]) expectedOf(() => integerOption('o', bad));
  });

  it('numberOption: finite numbers, an exclusive minimum, and a phrase for each kind of range', () => {
    expect(numberOption('o', -1e300)).toBe(-1e300);
    expect(numberOption('o', 0, 0, 1)).toBe(0);
    expect(numberOption('o', 0.5, 0, 1, true)).toBe(0.5);
    expect(expectedOf(() => numberOption('o', 0, 0, 1, true))).toBe('a finite number > 0 and <= 1');
    expect(expectedOf(() => numberOption('o', -1, 0))).toBe('a finite number >= 0');
    expect(expectedOf(() => numberOption('o', 0, 0, Number.POSITIVE_INFINITY, true))).toBe(
      'a finite number > 0',
    );
    expect(expectedOf(() => numberOption('o', 2, Number.NEGATIVE_INFINITY, 1))).toBe('a finite number <= 1');
    expect(expectedOf(() => numberOption('o', Number.POSITIVE_INFINITY))).toBe('a finite number');
    expect(expectedOf(() => numberOption('o', Number.NaN))).toBe('a finite number');
  });

  it('timerMsOption: up to the longest delay setTimeout keeps', () => {
    expect(timerMsOption('o', MAX_TIMER_MS)).toBe(MAX_TIMER_MS);
    expect(timerMsOption('o', 0)).toBe(0);
    expect(expectedOf(() => timerMsOption('o', 2 ** 31))).toBe('a finite number >= 0 and <= 2147483647');
    expect(expectedOf(() => timerMsOption('o', 0, 1))).toBe('a finite number >= 1 and <= 2147483647');
  });

  it('booleanOption, nonEmptyStringOption, oneOfOption, functionOption', () => {
    expect(booleanOption('o', false)).toBe(false);
    expect(expectedOf(() => booleanOption('o', 0))).toBe('a boolean');
    expect(nonEmptyStringOption('o', 'x')).toBe('x');
    expect(expectedOf(() => nonEmptyStringOption('o', ''))).toBe('a non-empty string');
    expect(expectedOf(() => nonEmptyStringOption('o', 1))).toBe('a non-empty string');
    expect(oneOfOption('o', 'b', ['a', 'b'])).toBe('b');
    expect(expectedOf(() => oneOfOption('o', 'c', ['a', 'b']))).toBe('one of "a", "b"');
    const fn = () => 1;
    expect(functionOption('o', fn)).toBe(fn);
    expect(expectedOf(() => functionOption('o', {}))).toBe('a function');
  });

  it('implementationOption: an object with every method named', () => {
    const bus = { publish: () => {}, subscribe: () => {} };
    expect(implementationOption('o', bus, ['publish', 'subscribe'], 'a Bus')).toBe(bus);
    for (const bad of [null, 'bus', () => {}, { publish: () => {} }, { publish: () => {}, subscribe: 1 }]) {
      expect(expectedOf(() => implementationOption('o', bad, ['publish', 'subscribe'], 'a Bus'))).toBe(
        'a Bus',
      );
    }
  });

  it('optionsObject: a plain object, or {} for undefined', () => {
    expect(optionsObject('o', undefined)).toEqual({});
    const given = { a: 1 };
    expect(optionsObject('o', given)).toBe(given);
    for (const bad of [null, [], 'x', 1])
      expect(expectedOf(() => optionsObject('o', bad as never))).toBe('an object');
  });
});
