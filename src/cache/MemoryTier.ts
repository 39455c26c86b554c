import { LRUCache } from 'lru-cache';
import type { CacheEntry, CacheTier } from '../core/CacheTier.js';
import type { Closeable, CloseOptions } from '../core/Closeable.js';
import { InvalidOptionError } from '../core/errors/InvalidOptionError.js';
import {
  checkOptionKeys,
  functionOption,
  integerOption,
  nonEmptyStringOption,
  numberOption,
  optionNames,
  optionsObject,
} from '../core/internal/validate.js';
import type { LoadChange, LoadSignal } from '../core/LoadSignal.js';

/** The {@link MemoryTierOptions} other than the bounds. */
export type MemoryTierCommonOptions = {
  /** Name in stats and events. @default 'memory' */
  readonly name?: string;
  /**
   * Size of one entry's value in bytes, for `maxBytes`. Called on every write. The key's own
   * bytes (its length times 2, UTF-16) are added to it: keys come from requests, and 64 KB keys
   * held 94 MB under a 1 MB `maxBytes` when they were not counted.
   * @default the length of the value's JSON text times 2 (UTF-16), plus 64; values JSON cannot
   * encode count 1 024
   */
  readonly sizeOf?: (value: unknown, key: string) => number;
  /**
   * A load signal (e.g. `HealthMonitor`'s): when it turns `critical`, the tier drops its least
   * recently used entries down to `1 - shrinkRatio` of its current size.
   */
  readonly loadSignal?: LoadSignal;
  /** Fraction of the entries dropped when the load signal turns critical. Range: (0, 1]. @default 0.5 */
  readonly shrinkRatio?: number;
};

/**
 * Options of {@link MemoryTier}: at least one of `maxEntries` and `maxBytes` (an unbounded
 * memory cache is a leak, so there is no such mode).
 */
export type MemoryTierOptions = MemoryTierCommonOptions &
  (
    | {
        /**
         * Maximum number of entries; the least recently used goes first. From 1 to 4,194,304:
         * the LRU preallocates its index for them (about 16 bytes an entry).
         */
        readonly maxEntries: number;
        /** Maximum total size in bytes as measured by `sizeOf`. Minimum: 1. */
        readonly maxBytes?: number;
      }
    | {
        /**
         * Maximum number of entries; the least recently used goes first. From 1 to 4,194,304:
         * the LRU preallocates its index for them (about 16 bytes an entry).
         */
        readonly maxEntries?: number;
        /** Maximum total size in bytes as measured by `sizeOf`. Minimum: 1. */
        readonly maxBytes: number;
      }
  );

/** The resolved, frozen form of {@link MemoryTierOptions}. */
type ResolvedMemoryTierOptions = {
  readonly name: string;
  readonly maxEntries: number | undefined;
  readonly maxBytes: number | undefined;
  readonly sizeOf: (value: unknown, key: string) => number;
  readonly shrinkRatio: number;
};

/**
 * The most entries: lru-cache preallocates its index for `max` (2^31 of them crashed the process
 * out of memory; 4,194,304 take about 70 MB and half a second to make).
 */
const MAX_ENTRIES = 4_194_304;

const OPTIONS = optionNames<MemoryTierOptions>()([
  'name',
  'maxEntries',
  'maxBytes',
  'sizeOf',
  'shrinkRatio',
  'loadSignal',
]);

/**
 * An in-process {@link CacheTier} over lru-cache 11, bounded by entries and/or bytes. It is
 * synchronous and stores values by reference (no serialisation, so a caller that mutates a
 * value it got mutates the cached one). Entries past their TTL are dropped when read or when
 * the LRU evicts them, not by timers.
 *
 * @example
 * {@includeCode ./TieredCache.test.ts#memoryOnly}
 */
export class MemoryTier implements CacheTier<true>, Closeable {
  /** {@inheritDoc CacheTier.name} */
  readonly name: string;
  /** @internal the store itself: TieredCache reads it directly on its hot path. */
  readonly lru: LRUCache<string, CacheEntry>;
  readonly #options: ResolvedMemoryTierOptions;
  readonly #subscription: Disposable | undefined;
  #closed = false;
  #shrinks = 0;

  /**
   * @param options - bounds, sizing and the load signal.
   * @throws {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION` for a bad option, or when
   * neither `maxEntries` nor `maxBytes` is given.
   */
  constructor(options: MemoryTierOptions) {
    const opts = optionsObject('options', options) as Partial<MemoryTierOptions> & MemoryTierCommonOptions;
    checkOptionKeys(opts, OPTIONS, 'MemoryTier');
    if (opts.maxEntries === undefined && opts.maxBytes === undefined) {
      throw new InvalidOptionError('options.maxEntries', 'set (or options.maxBytes)', undefined);
    }
    const resolved: ResolvedMemoryTierOptions = Object.freeze({
      name: nonEmptyStringOption('options.name', opts.name ?? 'memory'),
      maxEntries:
        opts.maxEntries === undefined
          ? undefined
          : integerOption('options.maxEntries', opts.maxEntries, 1, MAX_ENTRIES),
      maxBytes: opts.maxBytes === undefined ? undefined : integerOption('options.maxBytes', opts.maxBytes, 1),
      sizeOf:
        opts.sizeOf === undefined
          ? defaultSizeOf
          : functionOption<(value: unknown, key: string) => number>('options.sizeOf', opts.sizeOf),
      shrinkRatio: numberOption('options.shrinkRatio', opts.shrinkRatio ?? 0.5, 0, 1, true),
    });
    if (opts.loadSignal !== undefined && typeof opts.loadSignal.subscribe !== 'function') {
      throw new InvalidOptionError('options.loadSignal', 'a LoadSignal', opts.loadSignal);
    }
    this.#options = resolved;
    this.name = resolved.name;
    const sizeOf = resolved.sizeOf;
    this.lru = new LRUCache<string, CacheEntry>({
      ...(resolved.maxEntries === undefined ? {} : { max: resolved.maxEntries }),
      ...(resolved.maxBytes === undefined
        ? {}
        : {
            maxSize: resolved.maxBytes,
            sizeCalculation: (entry: CacheEntry, key: string) =>
              Math.max(1, Math.ceil(sizeOf(entry.value, key))) + key.length * 2,
          }),
    } as LRUCache.Options<string, CacheEntry, unknown>);
    this.#subscription = opts.loadSignal?.subscribe((change: LoadChange) => {
      if (change.status === 'critical') this.shrink(); // a change's `previous` is never its `status`
    });
    if (opts.loadSignal?.status === 'critical') this.shrink();
  }

  /** `true` once closed. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Number of entries held (including expired ones not yet dropped). */
  get size(): number {
    return this.lru.size;
  }

  /** Total size of the entries in bytes as measured by `sizeOf` (0 without `maxBytes`). */
  get bytes(): number {
    return this.lru.calculatedSize ?? 0;
  }

  /** How many times the tier has shrunk under memory pressure. */
  get shrinks(): number {
    return this.#shrinks;
  }

  /** {@inheritDoc CacheTier.get} */
  get(key: string): CacheEntry | undefined {
    return this.lru.get(key);
  }

  /** {@inheritDoc CacheTier.set} */
  set(key: string, entry: CacheEntry, _ttlMs: number): void {
    this.lru.set(key, entry);
  }

  /** {@inheritDoc CacheTier.delete} */
  delete(keys: readonly string[]): void {
    for (const key of keys) this.lru.delete(key);
  }

  /** {@inheritDoc CacheTier.clear} */
  clear(): void {
    this.lru.clear();
  }

  /**
   * Drops the least recently used entries down to `1 - ratio` of the current count; called by
   * the load signal when it turns critical, callable by hand.
   *
   * @param ratio - fraction to drop, in (0, 1].
   * @returns how many entries were dropped.
   * @throws {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION` for a bad ratio.
   */
  shrink(ratio: number = this.#options.shrinkRatio): number {
    numberOption('ratio', ratio, 0, 1, true);
    const target = Math.floor(this.lru.size * (1 - ratio));
    let dropped = 0;
    while (this.lru.size > target) {
      if (this.lru.pop() === undefined) break;
      dropped++;
    }
    this.#shrinks++;
    return dropped;
  }

  /**
   * Stops listening to the load signal and empties the tier. Idempotent.
   * @param _options - accepted for the {@link Closeable} contract; nothing to wait for.
   * @returns a promise that resolves at once.
   */
  async close(_options?: CloseOptions): Promise<void> {
    this.#release();
  }

  /**
   * Same as {@link MemoryTier.close}.
   * @param _reason - unused.
   * @returns a promise that resolves at once.
   */
  async destroy(_reason?: unknown): Promise<void> {
    this.#release();
  }

  /** Calls {@link MemoryTier.close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #release(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#subscription?.[Symbol.dispose]();
    this.lru.clear();
  }
}

function defaultSizeOf(value: unknown): number {
  try {
    const text = JSON.stringify(value);
    return text === undefined ? 64 : text.length * 2 + 64;
  } catch {
    return 1024;
  }
}
