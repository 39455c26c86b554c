import { LoadstoneError } from './LoadstoneError.js';

/**
 * A constructor option, setter value or call argument is not allowed. Thrown by constructors
 * and setters; async methods reject with it instead. The message names the option, the value
 * received and what is allowed; the same facts are in `option`, `received` and `expected`.
 *
 * @example
 * {@includeCode ./errors.test.ts#invalidOption}
 */
export class InvalidOptionError extends LoadstoneError {
  /** The error's stable code. */
  static readonly code = 'ERR_LOADSTONE_INVALID_OPTION';
  declare readonly code: 'ERR_LOADSTONE_INVALID_OPTION';
  /** Path of the offending option, e.g. `options.nodes[2].weight`. */
  readonly option: string;
  /** The value that was received. */
  readonly received: unknown;
  /** What is allowed, as a phrase: `an integer >= 1`. */
  readonly expected: string;

  /**
   * @param option - path of the option, e.g. `options.vnodes`.
   * @param expected - what is allowed, as a phrase completing "Expected `x` to be …".
   * @param received - the value that was passed.
   */
  constructor(option: string, expected: string, received: unknown) {
    super(
      'ERR_LOADSTONE_INVALID_OPTION',
      `Expected \`${option}\` to be ${expected}, got ${describeValue(received)}`,
    );
    this.option = option;
    this.expected = expected;
    this.received = received;
  }
}

/** Renders a value for an error message: `` `0` (number) ``, `` `"x"` (string) ``, `undefined`. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  const type = Array.isArray(value) ? 'array' : typeof value;
  let shown: string;
  try {
    shown =
      typeof value === 'bigint'
        ? `${value}n`
        : typeof value === 'number'
          ? String(value) // JSON would print NaN and Infinity as null
          : typeof value === 'function'
            ? `[function ${value.name || 'anonymous'}]`
            : typeof value === 'symbol'
              ? value.toString()
              : (JSON.stringify(value) ?? String(value));
  } catch {
    shown = Object.prototype.toString.call(value);
  }
  if (shown.length > 80) shown = `${shown.slice(0, 77)}...`;
  return `\`${shown}\` (${type})`;
}
