// Internal: validation of the per-call arguments of TieredCache.
import { InvalidOptionError } from '../core/errors/InvalidOptionError.js';
import { integerOption, nonEmptyStringOption } from '../core/internal/validate.js';
import type { SetOptions } from './TieredCacheOptions.js';

/** Checks the options of one `set`/`setMany` entry/`getOrSet` call, reporting them under `path`. */
export function checkSetOptions(opts: SetOptions & { negativeTtlMs?: number }, path: string): void {
  if (opts.ttlMs !== undefined) integerOption(`${path}.ttlMs`, opts.ttlMs, 1);
  if (opts.graceMs !== undefined) integerOption(`${path}.graceMs`, opts.graceMs, 0);
  if (opts.negativeTtlMs !== undefined) integerOption(`${path}.negativeTtlMs`, opts.negativeTtlMs, 0);
  if (opts.tags !== undefined) {
    if (!Array.isArray(opts.tags))
      throw new InvalidOptionError(`${path}.tags`, 'an array of strings', opts.tags);
    for (let i = 0; i < opts.tags.length; i++) nonEmptyStringOption(`${path}.tags[${i}]`, opts.tags[i]);
  }
}

/** Checks that `key` is a string. */
export function checkKey(key: unknown, path = 'key'): asserts key is string {
  if (typeof key !== 'string') throw new InvalidOptionError(path, 'a string', key);
}
