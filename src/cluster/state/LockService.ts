import { randomUUID } from 'node:crypto';
import { CapacityExceededError } from '../../core/errors/CapacityExceededError.js';
import { InvalidOptionError } from '../../core/errors/InvalidOptionError.js';
import { MAX_TIMER_MS } from '../../core/internal/validate.js';
import type { StateService } from './StateService.js';

/** Operations: `[key, ttlMs]` → token or `null`; `[key, token]` → `null`. @internal */
export const LOCK_ACQUIRE = 'lock.acquire';
/** @internal */
export const LOCK_RELEASE = 'lock.release';
/** Longest lock key, in UTF-16 code units (cache keys are short; this bounds the table's memory). @internal */
export const MAX_LOCK_KEY_LENGTH = 4_096;
/** Most locks held at once. @internal */
export const MAX_LOCKS = 100_000;

type Held = { readonly token: string; readonly owner: number; readonly expiresAt: number };

/**
 * Try-once locks with a time to live, held in the primary for every process of the machine
 * (the {@link ClusterLock} behind a `TieredCache`'s single flight). A lock whose owner exits is
 * dropped at once; one whose owner hangs expires after its TTL. @internal
 */
export class LockService implements StateService {
  readonly ops = [LOCK_ACQUIRE, LOCK_RELEASE] as const;
  // Keys are data: a Map, never a plain object (`__proto__` is an ordinary key).
  readonly #held = new Map<string, Held>();
  readonly #byOwner = new Map<number, Set<string>>();

  /** Locks held, expired ones not yet reclaimed included. */
  get size(): number {
    return this.#held.size;
  }

  call(owner: number, op: string, args: readonly unknown[]): unknown {
    const key = args[0];
    if (typeof key !== 'string' || key.length > MAX_LOCK_KEY_LENGTH) {
      throw new InvalidOptionError('key', `a string of at most ${MAX_LOCK_KEY_LENGTH} characters`, key);
    }
    const now = performance.now();
    if (op === LOCK_RELEASE) {
      const held = this.#held.get(key);
      if (held !== undefined && held.token === args[1]) this.#drop(key, held);
      return null;
    }
    const ttlMs = args[1];
    if (typeof ttlMs !== 'number' || !(ttlMs > 0) || ttlMs > MAX_TIMER_MS) {
      throw new InvalidOptionError('ttlMs', `a number > 0 and <= ${MAX_TIMER_MS}`, ttlMs);
    }
    const held = this.#held.get(key);
    if (held !== undefined) {
      if (held.expiresAt > now) return null;
      this.#drop(key, held);
    }
    if (this.#held.size >= MAX_LOCKS) this.#reclaimExpired(now);
    if (this.#held.size >= MAX_LOCKS) throw new CapacityExceededError('cluster locks', MAX_LOCKS);
    // Unguessable, so one worker cannot release another's lock by guessing its token.
    const token = randomUUID();
    this.#held.set(key, { token, owner, expiresAt: now + ttlMs });
    let keys = this.#byOwner.get(owner);
    if (keys === undefined) {
      keys = new Set();
      this.#byOwner.set(owner, keys);
    }
    keys.add(key);
    return token;
  }

  ownerGone(owner: number): void {
    const keys = this.#byOwner.get(owner);
    if (keys === undefined) return;
    this.#byOwner.delete(owner);
    for (const key of keys) this.#held.delete(key);
  }

  #drop(key: string, held: Held): void {
    this.#held.delete(key);
    const keys = this.#byOwner.get(held.owner);
    keys?.delete(key);
    if (keys?.size === 0) this.#byOwner.delete(held.owner);
  }

  /** Only when the table is full: a full scan, amortised over the inserts that filled it. */
  #reclaimExpired(now: number): void {
    for (const [key, held] of this.#held) if (held.expiresAt <= now) this.#drop(key, held);
  }
}
