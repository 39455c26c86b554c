import { LoadstoneError, type LoadstoneErrorOptions } from './LoadstoneError.js';

/**
 * A cache loader (the function given to `getOrSet`) failed and no stale value could stand in.
 * Every caller waiting on that key gets the same error; the loader's own error is `cause`.
 *
 * @example
 * {@includeCode ./errors.test.ts#loader}
 */
export class LoaderError extends LoadstoneError {
  /** The error's stable code. */
  static readonly code = 'ERR_LOADSTONE_LOADER';
  declare readonly code: 'ERR_LOADSTONE_LOADER';
  /** The key being loaded. */
  readonly key: string;

  /**
   * @param key - the key being loaded.
   * @param options - the loader's error as `cause`.
   */
  constructor(key: string, options?: LoadstoneErrorOptions) {
    super('ERR_LOADSTONE_LOADER', `Loader for cache key "${key}" failed`, options);
    this.key = key;
  }
}
