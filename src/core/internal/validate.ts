// Option validators shared by every primitive. Each builds its message from the option path, so
// no message is ever copied by hand (cockatiel's CountBreaker names the wrong option that way).
import { InvalidOptionError } from '../errors/InvalidOptionError.js';

/** The longest delay `setTimeout` keeps (a longer one fires at once): the cap of every `…Ms` option. */
export const MAX_TIMER_MS = 2_147_483_647;

/** Throws unless `value` is an integer within `[min, max]`; returns it typed. */
export function integerOption(path: string, value: unknown, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidOptionError(path, rangePhrase('an integer', min, max), value);
  }
  return value;
}

/** Throws unless `value` is a finite number within `[min, max]` (and `> min` when `exclusiveMin`). */
export function numberOption(
  path: string,
  value: unknown,
  min = Number.NEGATIVE_INFINITY,
  max = Number.POSITIVE_INFINITY,
  exclusiveMin = false,
): number {
  if (
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    value < min ||
    value > max ||
    (exclusiveMin && value === min)
  ) {
    const lower = exclusiveMin ? `> ${min}` : `>= ${min}`;
    const phrase =
      min === Number.NEGATIVE_INFINITY
        ? max === Number.POSITIVE_INFINITY
          ? 'a finite number'
          : `a finite number <= ${max}`
        : max === Number.POSITIVE_INFINITY
          ? `a finite number ${lower}`
          : `a finite number ${lower} and <= ${max}`;
    throw new InvalidOptionError(path, phrase, value);
  }
  return value;
}

/**
 * Throws unless `value` is a finite number of milliseconds from `min` to 2^31 − 1: the delay of a
 * timer, which Node would otherwise fire after 1 ms.
 */
export function timerMsOption(path: string, value: unknown, min = 0): number {
  return numberOption(path, value, min, MAX_TIMER_MS);
}

/** Every key of every member of a union (`keyof` of a union keeps only the shared ones). */
type KeysOfUnion<T> = T extends unknown ? keyof T & string : never;

/**
 * The option names of the options type `T`, declared once beside the code that reads them, for
 * {@link checkOptionKeys}. The compiler checks the list against `T` both ways: a name that is not
 * an option of `T` does not compile, and neither does a list that leaves one out (the error names
 * it), so the check cannot drift from the type.
 *
 * @example optionNames<PoolOptions>()(['min', 'max'])
 */
export function optionNames<T extends object>() {
  return <const K extends readonly KeysOfUnion<T>[]>(
    names: K,
    ..._complete: [Exclude<KeysOfUnion<T>, K[number]>] extends [never]
      ? []
      : [missing: Exclude<KeysOfUnion<T>, K[number]>]
  ): ReadonlySet<string> => new Set<string>(names);
}

/**
 * Throws for the first key of `opts` that is not in `known` or holds `null`. A name that was
 * renamed names its replacement (`renamed`), any other says it is not an option of `owner`: a
 * typo must not be ignored. `null` is refused because it reads as "use the default" in some
 * libraries and as a value in others; here an absent key (or `undefined`) is the default.
 * `path` is where `opts` sits in the call (`options.backoff`, `jobs[3]`). A `for…in` walk, so a
 * per-call check allocates nothing.
 */
export function checkOptionKeys(
  opts: object,
  known: ReadonlySet<string>,
  owner: string,
  renamed: Readonly<Record<string, string>> = {},
  path = 'options',
): void {
  for (const key in opts) {
    const value = (opts as Record<string, unknown>)[key];
    if (known.has(key)) {
      if (value === null) {
        throw new InvalidOptionError(`${path}.${key}`, 'a value, or absent for the default (not null)', null);
      }
      continue;
    }
    const replacement = Object.hasOwn(renamed, key) ? renamed[key] : undefined;
    const expected =
      replacement === undefined
        ? `absent: it is not an option of ${owner}`
        : `absent: use \`${path}.${replacement}\``;
    throw new InvalidOptionError(`${path}.${key}`, expected, value);
  }
}

/** Throws unless `value` is a boolean. */
export function booleanOption(path: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new InvalidOptionError(path, 'a boolean', value);
  return value;
}

/** Throws unless `value` is a non-empty string. */
export function nonEmptyStringOption(path: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new InvalidOptionError(path, 'a non-empty string', value);
  }
  return value;
}

/** Throws unless `value` is one of `allowed`. */
export function oneOfOption<const T extends string>(path: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new InvalidOptionError(path, `one of ${allowed.map((a) => `"${a}"`).join(', ')}`, value);
  }
  return value as T;
}

/** Throws unless `value` is a function. */
export function functionOption<F extends (...args: never[]) => unknown>(path: string, value: unknown): F {
  if (typeof value !== 'function') throw new InvalidOptionError(path, 'a function', value);
  return value as F;
}

/**
 * Throws unless `value` is an object with every one of `methods` (an implementation of an
 * interface such as `Bus` or `HealthCheck`); `expected` names it in the error, e.g. `a Bus`.
 */
export function implementationOption<T extends object>(
  path: string,
  value: unknown,
  methods: readonly string[],
  expected: string,
): T {
  if (
    typeof value !== 'object' ||
    value === null ||
    methods.some((method) => typeof (value as Record<string, unknown>)[method] !== 'function')
  ) {
    throw new InvalidOptionError(path, expected, value);
  }
  return value as T;
}

/** Throws unless `value` is a plain object (or `undefined`, which reads as `{}`). */
export function optionsObject<T extends object>(
  path: string,
  value: T | undefined,
): T | Record<string, never> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidOptionError(path, 'an object', value);
  }
  return value;
}

function rangePhrase(kind: string, min: number, max: number): string {
  if (max === Number.MAX_SAFE_INTEGER) return `${kind} >= ${min}`;
  return `${kind} from ${min} to ${max}`;
}
