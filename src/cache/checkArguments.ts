// Internal: validation of the arguments of TieredCache's methods. Each check throws the
// `InvalidOptionError` of the first bad argument; the async methods turn it into a rejection.
import type { Closeable } from '../core/Closeable.js';
import { ClosedError } from '../core/errors/ClosedError.js';
import { InvalidOptionError } from '../core/errors/InvalidOptionError.js';
import { abortReason } from '../core/internal/abort.js';
import {
  checkOptionKeys,
  functionOption,
  integerOption,
  nonEmptyStringOption,
  optionNames,
  optionsObject,
} from '../core/internal/validate.js';
import type { GetOrSetOptions, SetOptions } from './TieredCacheOptions.js';
import { RESERVED_KEY_PREFIX } from './tagMarker.js';

const SET_OPTIONS = optionNames<SetOptions>()(['ttlMs', 'graceMs', 'tags']);
const GET_OR_SET_OPTIONS = optionNames<GetOrSetOptions>()([
  'ttlMs',
  'graceMs',
  'tags',
  'negativeTtlMs',
  'signal',
]);

/** The cache as its collaborators see it when they check a call: open or closed. */
export type CacheState = Pick<Closeable, 'closed'>;

/** Throws the `ClosedError` of a call made after `close()`. */
export function checkOpen(cache: CacheState): void {
  if (cache.closed) throw new ClosedError('TieredCache');
}

/** Checks that `key` is a string outside the cache's own namespace ({@link RESERVED_KEY_PREFIX}). */
export function checkKey(key: unknown, path = 'key'): asserts key is string {
  if (typeof key !== 'string') throw new InvalidOptionError(path, 'a string', key);
  if (key.startsWith(RESERVED_KEY_PREFIX)) {
    throw new InvalidOptionError(
      path,
      `a key not starting with \`${RESERVED_KEY_PREFIX}\` (the cache's own)`,
      key,
    );
  }
}

/** Checks the arguments of `getOrSet` (a caller's signal that has aborted throws its reason). */
export function checkGetOrSet(
  key: unknown,
  loader: unknown,
  options: GetOrSetOptions | undefined,
): GetOrSetOptions {
  checkKey(key);
  functionOption('loader', loader);
  const opts = optionsObject('options', options);
  // The shared check (which builds its error) only for a name not known: this call site is hot.
  for (const name in opts) {
    if (!GET_OR_SET_OPTIONS.has(name)) checkOptionKeys(opts, GET_OR_SET_OPTIONS, 'TieredCache.getOrSet');
  }
  const signal = opts.signal;
  if (signal !== undefined) {
    if (!(signal instanceof AbortSignal))
      throw new InvalidOptionError('options.signal', 'an AbortSignal', signal);
    if (signal.aborted) throw abortReason(signal, 'TieredCache getOrSet');
  }
  checkSetOptions(opts, 'options');
  return opts;
}

/** Checks the arguments of `set`. */
export function checkSet(key: unknown, value: unknown, options: SetOptions | undefined): SetOptions {
  checkKey(key);
  if (value === undefined) throw new InvalidOptionError('value', 'defined (use delete())', value);
  const opts = optionsObject('options', options);
  checkOptionKeys(opts, SET_OPTIONS, 'TieredCache.set');
  checkSetOptions(opts, 'options');
  return opts;
}

/** Checks the entries of `setMany`. */
export function checkEntries(
  entries: readonly { readonly key: string; readonly value: unknown; readonly options?: SetOptions }[],
): void {
  if (!Array.isArray(entries)) throw new InvalidOptionError('entries', 'an array', entries);
  for (const [i, entry] of entries.entries()) {
    checkKey(entry?.key, `entries[${i}].key`);
    if (entry.value === undefined) throw new InvalidOptionError(`entries[${i}].value`, 'defined', undefined);
    const path = `entries[${i}].options`;
    const opts = optionsObject(path, entry.options);
    checkOptionKeys(opts, SET_OPTIONS, 'TieredCache.setMany', {}, path);
    checkSetOptions(opts, path);
  }
}

/** Checks the keys of `getMany`. */
export function checkKeys(keys: readonly string[]): void {
  if (!Array.isArray(keys)) throw new InvalidOptionError('keys', 'an array', keys);
  for (let i = 0; i < keys.length; i++) checkKey(keys[i], `keys[${i}]`);
}

/** Checks the tags of `invalidateTags`. */
export function checkTags(tags: readonly string[]): void {
  if (!Array.isArray(tags)) throw new InvalidOptionError('tags', 'an array of strings', tags);
  for (let i = 0; i < tags.length; i++) nonEmptyStringOption(`tags[${i}]`, tags[i]);
}

function checkSetOptions(opts: SetOptions & { negativeTtlMs?: number }, path: string): void {
  if (opts.ttlMs !== undefined) integerOption(`${path}.ttlMs`, opts.ttlMs, 1);
  if (opts.graceMs !== undefined) integerOption(`${path}.graceMs`, opts.graceMs, 0);
  if (opts.negativeTtlMs !== undefined) integerOption(`${path}.negativeTtlMs`, opts.negativeTtlMs, 0);
  if (opts.tags !== undefined) {
    if (!Array.isArray(opts.tags))
      throw new InvalidOptionError(`${path}.tags`, 'an array of strings', opts.tags);
    for (let i = 0; i < opts.tags.length; i++) nonEmptyStringOption(`${path}.tags[${i}]`, opts.tags[i]);
  }
}
