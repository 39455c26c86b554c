import { InvalidOptionError } from '../core/errors/InvalidOptionError.js';
import { checkOptionKeys, integerOption, optionNames, optionsObject } from '../core/internal/validate.js';
import { gcraStep } from './gcra.js';
import type { RateLimitResult } from './RateLimitResult.js';
import {
  emptyRateLimitState,
  GCRA_KIND,
  type RateLimitState,
  resetRateLimitState as resetState,
  SLIDING_WINDOW_KIND,
  storesReturningResults,
} from './RateLimitState.js';
import type { RateLimitRule, RateLimitStore } from './RateLimitStore.js';
import { entryBytes } from './rateLimitEntryBytes.js';
import { slidingWindowStep } from './slidingWindow.js';

/** Options of {@link MemoryRateLimitStore}. */
export type MemoryRateLimitStoreOptions = {
  /**
   * Most keys kept at once. Past it, the key stored longest ago is dropped to make room, so
   * its next call starts from a fresh limit (it is let through more than its rate, never less).
   * Size it above the number of keys active within one `periodMs`. Minimum: 1.
   * @default 100_000
   */
  readonly maxKeys?: number;
  /**
   * Most bytes the held keys may take, estimated per key as a fixed 192 bytes (its state and map
   * slot) plus 2 bytes per character of the key, so long keys an attacker chooses cannot grow
   * the store past it. Past it, keys stored longest ago are dropped, as for `maxKeys`. A single
   * key larger than the whole budget is still kept, alone. Minimum: 1.
   * @default 67_108_864 (64 MiB: 100,000 keys of up to 240 characters fit)
   */
  readonly maxBytes?: number;
};

/** Entries examined for expiry per new key: amortised cleanup without a timer. */
const SWEEP_PER_INSERT = 2;
/**
 * How long an expired key may stay before the sweep drops it. A key read again within this time
 * is reset in place: with fast limits (GCRA keys empty again within microseconds) dropping keys
 * at once turns every decision into a map delete plus insert. Memory stays bounded by maxKeys.
 */
const SWEEP_GRACE_MS = 1_000;

const OPTIONS = optionNames<MemoryRateLimitStoreOptions>()(['maxKeys', 'maxBytes']);

/**
 * A {@link RateLimitStore} in this process's memory: a `Map` from key to a small state
 * object, for one server (each process of a cluster then has its own limit; use
 * {@link RedisRateLimitStore} to share one).
 *
 * It cannot grow forever: an expired entry read again is reset in place, every new key sweeps
 * two older entries and drops those expired for over a second (so dead keys are reclaimed while
 * new ones arrive, with no timer keeping the process alive), and `maxKeys` and `maxBytes` cap
 * its size. Decisions are synchronous; the limiter still returns a promise.
 *
 * @example
 * {@includeCode ./MemoryRateLimitStore.test.ts#memoryStore}
 */
export class MemoryRateLimitStore implements RateLimitStore {
  readonly #maxKeys: number;
  readonly #maxBytes: number;
  /** Key prefix → key → state. Per-prefix maps spare a string concatenation per call. */
  readonly #spaces = new Map<string, Map<string, RateLimitState>>();
  #size = 0;
  #bytes = 0;
  // The last prefix used and its map: one limiter per store is the common case.
  #lastPrefix: string | undefined;
  #lastEntries: Map<string, RateLimitState> | undefined;
  // Cleanup cursor: which map is being swept, and where.
  #sweepEntries: Map<string, RateLimitState> | undefined;
  #sweep: MapIterator<[string, RateLimitState]> | undefined;
  // One emptied state kept for the next new key (it is in no map).
  #spare: RateLimitState | undefined;

  /**
   * @param options - the size cap.
   * @throws an {@link InvalidOptionError} (`ERR_LOADSTONE_INVALID_OPTION`) for a bad option.
   */
  constructor(options?: MemoryRateLimitStoreOptions) {
    const opts = optionsObject('options', options);
    checkOptionKeys(opts, OPTIONS, 'MemoryRateLimitStore');
    this.#maxKeys = integerOption('options.maxKeys', opts.maxKeys ?? 100_000, 1);
    this.#maxBytes = integerOption('options.maxBytes', opts.maxBytes ?? 64 * 2 ** 20, 1);
    storesReturningResults.add(this);
  }

  /** Number of keys currently held (over all prefixes), expired ones not yet swept included. */
  get size(): number {
    return this.#size;
  }

  /** Estimated bytes of the keys held, as `maxBytes` counts them. */
  get bytes(): number {
    return this.#bytes;
  }

  /**
   * Decides one call and records its cost when allowed; see {@link RateLimitStore.consume}.
   *
   * @param key - the caller's key (its namespace is `rule.keyPrefix`).
   * @param rule - the limit.
   * @param cost - an integer >= 0.
   * @param nowMs - the limiter's clock; expiry is judged on it too, so share one store only
   * between limiters with the same clock.
   * @returns the decision, synchronously (a complete {@link RateLimitResult}).
   */
  consume(key: string, rule: RateLimitRule, cost: number, nowMs: number): RateLimitResult {
    let entries = this.#lastEntries;
    if (rule.keyPrefix !== this.#lastPrefix || entries === undefined) entries = this.#space(rule.keyPrefix);
    let state = entries.get(key);
    let isNew = false;
    if (state === undefined) {
      isNew = true;
      // A state dropped by the sweep or by eviction, if any: no allocation per new key.
      state = this.#spare;
      if (state === undefined) state = emptyRateLimitState();
      else this.#spare = undefined;
    } else if (state.expiresAtMs <= nowMs) {
      // Back to empty: reset in place rather than reallocate.
      resetState(state);
    }
    const decision =
      rule.algorithm === 'gcra'
        ? gcraStep(state, rule, cost, nowMs)
        : slidingWindowStep(state, rule, cost, nowMs);
    if (isNew) {
      if (state.kind !== 0) this.#insert(entries, key, state, nowMs);
      else this.#spare = state; // untouched: still empty, keep it for the next new key
    }
    return decision;
  }

  /**
   * The cost `key` holds at `nowMs`, as a fraction of units: GCRA's outstanding cost (how far its
   * theoretical arrival time runs ahead of now, in emission intervals), the sliding window's
   * estimate for the rolling window. `0` for a key not held or back to empty. Records nothing.
   *
   * @param key - the key, without `rule.keyPrefix`.
   * @param rule - the limit the key is held under.
   * @param nowMs - the store's clock.
   * @returns a number >= 0; at most the burst (GCRA) or the limit (sliding window) for a key only
   *   ever decided by {@link MemoryRateLimitStore.consume}.
   */
  usage(key: string, rule: RateLimitRule, nowMs: number): number {
    const state = this.#spaces.get(rule.keyPrefix)?.get(key);
    if (state === undefined || state.expiresAtMs <= nowMs) return 0;
    if (rule.algorithm === 'gcra') {
      return state.kind === GCRA_KIND ? Math.max(0, state.tatMs - nowMs) / rule.emissionIntervalMs : 0;
    }
    if (state.kind !== SLIDING_WINDOW_KIND) return 0;
    const window = Math.floor(nowMs / rule.periodMs);
    if (state.window === window) {
      const weight = 1 - (nowMs - window * rule.periodMs) / rule.periodMs;
      return state.previous * weight + state.current;
    }
    if (state.window === window - 1) {
      return state.current * (1 - (nowMs - window * rule.periodMs) / rule.periodMs);
    }
    return 0;
  }

  /**
   * Records `cost` as spent by `key` at `nowMs` whatever its state: a penalty, or cost decided
   * elsewhere and handed over. It may take the key past its limit; later calls wait it out.
   *
   * @param key - the key, without `rule.keyPrefix`.
   * @param rule - the limit the key is held under.
   * @param cost - a finite number >= 0 (fractions allowed).
   * @param nowMs - the store's clock.
   * @throws {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION` for a bad `cost`.
   */
  penalize(key: string, rule: RateLimitRule, cost: number, nowMs: number): void {
    if (typeof cost !== 'number' || !Number.isFinite(cost) || cost < 0) {
      throw new InvalidOptionError('cost', 'a finite number >= 0', cost);
    }
    if (cost === 0) return;
    const entries = this.#space(rule.keyPrefix);
    let state = entries.get(key);
    const isNew = state === undefined;
    if (state === undefined) state = this.#spare ?? emptyRateLimitState();
    if (state === this.#spare) this.#spare = undefined;
    if (state.expiresAtMs <= nowMs) resetState(state);
    if (rule.algorithm === 'gcra') {
      const tat = state.kind === GCRA_KIND && state.tatMs > nowMs ? state.tatMs : nowMs;
      state.kind = GCRA_KIND;
      state.tatMs = tat + cost * rule.emissionIntervalMs;
      state.expiresAtMs = state.tatMs;
    } else {
      const window = Math.floor(nowMs / rule.periodMs);
      const same = state.kind === SLIDING_WINDOW_KIND && state.window === window;
      const previous = same
        ? state.previous
        : state.kind === SLIDING_WINDOW_KIND && state.window === window - 1
          ? state.current
          : 0;
      state.kind = SLIDING_WINDOW_KIND;
      state.current = (same ? state.current : 0) + cost;
      state.previous = previous;
      state.window = window;
      state.expiresAtMs = (window + 2) * rule.periodMs;
    }
    if (isNew) this.#insert(entries, key, state, nowMs);
  }

  /**
   * Forgets `key`: its next call starts from an empty state.
   *
   * @param key - the key, without `rule.keyPrefix`.
   * @param rule - any rule with the key's `keyPrefix`.
   * @returns whether the key was held.
   */
  delete(key: string, rule: RateLimitRule): boolean {
    const entries = this.#spaces.get(rule.keyPrefix);
    if (entries === undefined || !entries.delete(key)) return false;
    this.#size--;
    this.#bytes -= entryBytes(key);
    return true;
  }

  /** Drops every key. */
  clear(): void {
    this.#spaces.clear();
    this.#size = 0;
    this.#bytes = 0;
    this.#lastPrefix = undefined;
    this.#lastEntries = undefined;
    this.#sweepEntries = undefined;
    this.#sweep = undefined;
    this.#spare = undefined;
  }

  #space(prefix: string): Map<string, RateLimitState> {
    let entries = this.#spaces.get(prefix);
    if (entries === undefined) {
      entries = new Map();
      this.#spaces.set(prefix, entries);
    }
    this.#lastPrefix = prefix;
    this.#lastEntries = entries;
    return entries;
  }

  #insert(entries: Map<string, RateLimitState>, key: string, state: RateLimitState, nowMs: number): void {
    const bytes = entryBytes(key);
    while (this.#size >= this.#maxKeys || this.#bytes + bytes > this.#maxBytes) {
      if (!this.#evictOldest(entries)) break; // empty: a key over the whole budget is kept alone
    }
    // Insert before sweeping: a map left empty by the sweep's delete would make V8 shrink its
    // table (a runtime call and a new table) on every insert when keys expire as fast as they
    // arrive. The new key is never swept: it was just allowed, so it has not expired.
    entries.set(key, state);
    this.#size++;
    this.#bytes += bytes;
    // Sweep the map being inserted into (a prefix that stops getting new keys keeps its
    // expired entries until maxKeys evicts them; they are reset when read in any case).
    let sweep = this.#sweep;
    if (this.#sweepEntries !== entries) {
      this.#sweepEntries = entries;
      sweep = undefined;
    }
    for (let i = 0; i < SWEEP_PER_INSERT; i++) {
      sweep ??= entries.entries();
      const next = sweep.next();
      if (next.done === true) {
        sweep = undefined;
        continue;
      }
      const old = next.value[1];
      if (old.expiresAtMs + SWEEP_GRACE_MS <= nowMs) {
        entries.delete(next.value[0]);
        this.#size--;
        this.#bytes -= entryBytes(next.value[0]);
        this.#spare = resetState(old);
      }
    }
    this.#sweep = sweep;
  }

  /**
   * Drops the key stored longest ago: in `preferred` when it has any, else in another prefix.
   * @returns false when there was none to drop.
   */
  #evictOldest(preferred: Map<string, RateLimitState>): boolean {
    let from: Map<string, RateLimitState> | undefined = preferred.size > 0 ? preferred : undefined;
    if (from === undefined) {
      for (const entries of this.#spaces.values()) {
        if (entries.size > 0) {
          from = entries;
          break;
        }
      }
    }
    // Insertion order: the first key is the one stored longest ago.
    const oldest = from?.keys().next();
    if (from === undefined || oldest === undefined || oldest.done === true) return false;
    from.delete(oldest.value);
    this.#size--;
    this.#bytes -= entryBytes(oldest.value);
    return true;
  }
}
