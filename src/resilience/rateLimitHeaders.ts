import { InvalidOptionError } from '../core/errors/InvalidOptionError.js';
import { checkOptionKeys, oneOfOption, optionNames, optionsObject } from '../core/internal/validate.js';
import type { RateLimitResult } from './RateLimitResult.js';

/**
 * Which rate-limit header fields a response carries:
 * - `'draft-8'`: the IETF RateLimit fields as drafts 08 and later define them, lists of named
 *   items: `RateLimit-Policy: "default";q=100;w=60` and `RateLimit: "default";r=99;t=60`.
 * - `'draft-6'`: the older trio `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset`
 *   (seconds) with `RateLimit-Policy: 100;w=60`.
 * - `'legacy'`: `X-RateLimit-Limit`, `X-RateLimit-Remaining`, `X-RateLimit-Reset` (Unix time in
 *   seconds, as express-rate-limit sends it).
 * - `'none'`: no rate-limit fields (a refused call still gets `Retry-After`).
 */
export type RateLimitHeaderFormat = 'draft-8' | 'draft-6' | 'legacy' | 'none';

/** Options of {@link rateLimitHeaders}; the same names as in `rateLimitHandler` and the adapters. */
export type RateLimitHeaderOptions = {
  /**
   * Which fields.
   * @default 'draft-8'
   */
  readonly headers?: RateLimitHeaderFormat;
  /**
   * The policy's name in the `draft-8` fields: 1 to 64 printable ASCII characters.
   * @default 'default'
   */
  readonly policy?: string;
};

/** The header fields of one decision, as `[name, value]` pairs. */
export type RateLimitHeaderWriter = (
  result: RateLimitResult,
  periodMs: number,
  nowMs?: number,
) => [string, string][];

const FORMATS: readonly RateLimitHeaderFormat[] = ['draft-8', 'draft-6', 'legacy', 'none'];
const OPTIONS = optionNames<RateLimitHeaderOptions>()(['headers', 'policy']);
/** A policy name as a Structured Field string carries it without surprises. */
const POLICY_NAME = /^[\x20-\x7e]{1,64}$/;

/**
 * Makes the function that gives the header fields of a rate-limit decision: the fields
 * `headers` names and, for a refused call that can pass later, `Retry-After` in whole seconds
 * (at least 1). The client's key is never in them. A degraded decision (the store failed) gets
 * no rate-limit fields: its numbers say nothing about the key.
 *
 * The reset (`t`, `RateLimit-Reset`) is when the key is full again; for a refused call it is the
 * moment its cost is accepted, the same as `Retry-After`, as the drafts ask.
 *
 * @param options - the format and the policy's name.
 * @returns the writer: `(result, periodMs, nowMs?) => [name, value][]`.
 * @throws {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION` for a bad option.
 *
 * @example
 * {@includeCode ./rateLimitHeaders.test.ts#headers}
 */
export function rateLimitHeaders(options?: RateLimitHeaderOptions): RateLimitHeaderWriter {
  const opts = optionsObject('options', options);
  checkOptionKeys(opts, OPTIONS, 'rateLimitHeaders');
  const format =
    opts.headers === undefined ? 'draft-8' : oneOfOption('options.headers', opts.headers, FORMATS);
  const policy = opts.policy === undefined ? 'default' : opts.policy;
  if (typeof policy !== 'string' || !POLICY_NAME.test(policy)) {
    throw new InvalidOptionError('options.policy', '1 to 64 printable ASCII characters', policy);
  }
  const name = `"${policy.replace(/[\\"]/g, '\\$&')}"`;
  return (result, periodMs, nowMs = Date.now()) => {
    const retry = result.allowed ? undefined : retryAfterSeconds(result.retryAfterMs);
    const fields =
      format === 'none' || result.degraded ? [] : rateLimitFields(result, periodMs, retry, nowMs);
    if (retry !== undefined) fields.push(['Retry-After', String(retry)]);
    return fields;
  };

  function rateLimitFields(
    result: RateLimitResult,
    periodMs: number,
    retry: number | undefined,
    nowMs: number,
  ): [string, string][] {
    const windowSeconds = Math.max(1, Math.ceil(periodMs / 1000));
    const resetSeconds = retry ?? Math.ceil(result.resetMs / 1000);
    switch (format) {
      case 'draft-8':
        return [
          ['RateLimit-Policy', `${name};q=${result.limit};w=${windowSeconds}`],
          ['RateLimit', `${name};r=${result.remaining};t=${resetSeconds}`],
        ];
      case 'draft-6':
        return [
          ['RateLimit-Policy', `${result.limit};w=${windowSeconds}`],
          ['RateLimit-Limit', String(result.limit)],
          ['RateLimit-Remaining', String(result.remaining)],
          ['RateLimit-Reset', String(resetSeconds)],
        ];
      default:
        return [
          ['X-RateLimit-Limit', String(result.limit)],
          ['X-RateLimit-Remaining', String(result.remaining)],
          ['X-RateLimit-Reset', String(Math.ceil(nowMs / 1000) + resetSeconds)],
        ];
    }
  }
}

/** Whole seconds, at least 1, until a refused cost passes; `undefined` when it never can. */
function retryAfterSeconds(retryAfterMs: number): number | undefined {
  return Number.isFinite(retryAfterMs) ? Math.max(1, Math.ceil(retryAfterMs / 1000)) : undefined;
}
