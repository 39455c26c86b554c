import type { ErrorCode } from './ErrorCode.js';

const brandKey = (code: string): symbol => Symbol.for(`loadstone.error.${code}`);

/** Options every loadstone error accepts: the underlying cause, kept as `error.cause`. */
export type LoadstoneErrorOptions = {
  /** The failure that led to this one (a foreign error, an abort reason…). */
  readonly cause?: unknown;
};

/**
 * Base class of every error loadstone creates.
 *
 * `code` is the public contract; match on it (or use {@link isLoadstoneError}). `instanceof`
 * also works across duplicate installs of loadstone (ESM and CJS copies, two versions in one
 * tree) because each class checks a `Symbol.for` brand rather than its prototype chain.
 *
 * @example
 * {@includeCode ./errors.test.ts#catching}
 */
export class LoadstoneError extends Error {
  /** Stable machine-readable code, `ERR_LOADSTONE_<CONDITION>`; never renamed or reused. */
  readonly code: ErrorCode;

  /**
   * @param code - the error's stable code.
   * @param message - a sentence saying what went wrong and, where it helps, what to do.
   * @param options - the `cause`, if any.
   */
  constructor(code: ErrorCode, message: string, options?: LoadstoneErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    Object.defineProperty(this, brandKey('base'), { value: true });
    Object.defineProperty(this, brandKey(code), { value: true });
  }

  /** The class name (`InvalidOptionError`, …), so stack traces and logs say what failed. */
  override get name(): string {
    return this.constructor.name;
  }

  /** Recognises loadstone errors from any copy of the package, not only this one. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class on the right of `instanceof`, a subclass included
    return hasBrand(value, brandCodeOf(this));
  }
}

/**
 * Each subclass declares its code as a static `code` so `instanceof` can look the brand up;
 * `LoadstoneError` itself has none and stands for every code (`'base'`).
 */
function brandCodeOf(ctor: unknown): string {
  const code = (ctor as { code?: unknown }).code;
  return typeof code === 'string' ? code : 'base';
}

function hasBrand(value: unknown, code: string): boolean {
  return (
    typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[brandKey(code)] === true
  );
}
