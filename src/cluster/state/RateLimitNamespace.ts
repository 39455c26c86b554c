import type { MemoryRateLimitStore, RateLimitRule } from '../../resilience/index.js';
import { drainMs, shareRule, shareUnits } from './rateLimitRules.js';
import { ShareSlots } from './ShareSlots.js';

/** The answer to a share holder's call for a key that is not central: decide it on your share. @internal */
export const DECIDE_LOCALLY = 0;

/** Where a caller stands for its key, sent with each `rl.consume`. @internal */
export const CallMode = {
  /** It holds no share it may decide on (the primary, a process past the slots, a newcomer). */
  noShare: 0,
  /** Its share refused the call: the key needs the other shares too. */
  escalate: 1,
  /** It surrendered its share of the key: the primary decides it. */
  central: 2,
} as const;

/** A decision as it crosses IPC: JSON has no `Infinity`. @internal */
export type EncodedDecision = readonly [
  allowed: 0 | 1,
  remaining: number,
  resetMs: number,
  retryAfterMs: number,
];

/**
 * Longest wait for a share holder to surrender a key. Past it the holder's share counts as fully
 * spent (never too little) and its late answer is added on top.
 * @internal
 */
export const RECALL_TIMEOUT_MS = 1_000;

/** What a namespace needs from its service. @internal */
export type NamespaceLink = {
  /** Asks `owner` to surrender its share of `key`; returns the recall's id. */
  recall(owner: number, namespace: RateLimitNamespace, key: string): number;
  /** A key became central: sweep the namespaces now and then for keys back to empty. */
  centralAdded(): void;
};

type Merge = {
  /** Recall ids not answered yet. */
  readonly waiting: Set<number>;
  /** Cost gathered so far, in units. */
  used: number;
  /** Calls waiting for the merge, in arrival order. */
  readonly queue: { cost: number; resolve: (answer: EncodedDecision) => void }[];
  timer: NodeJS.Timeout | undefined;
};

/**
 * The keys of one rate-limit rule in the primary. Each key is *split* (every share holder decides
 * its share of it alone, the primary keeps nothing) until a holder's share refuses a call or a
 * process without a share calls: then the primary *merges* it (recalls every share, adds up the
 * cost they hold) and decides it *central*ly until it is back to empty. So most calls never
 * leave their worker, and a key at its limit is decided exactly, on one table. @internal
 */
export class RateLimitNamespace {
  readonly id: number;
  readonly #rule: RateLimitRule;
  readonly #slots: ShareSlots;
  readonly #store: MemoryRateLimitStore;
  readonly #link: NamespaceLink;
  readonly #drainMs: number;
  /** Keys decided here; the rest are split. */
  readonly #central = new Set<string>();
  readonly #merges = new Map<string, Merge>();

  constructor(
    id: number,
    rule: RateLimitRule,
    shares: number,
    store: MemoryRateLimitStore,
    link: NamespaceLink,
  ) {
    this.id = id;
    this.#slots = new ShareSlots(shares);
    // The primary's table keeps each namespace apart, whatever prefix its limiters use.
    this.#rule = shareRule(rule, 1, `${id}:`);
    this.#store = store;
    this.#link = link;
    this.#drainMs = drainMs(rule);
  }

  /** Central keys. */
  get centralKeys(): number {
    return this.#central.size;
  }

  /**
   * Gives `owner` a share if a slot is free.
   * @returns `[fraction, central]`: its part of each key (`0`: none, every call comes here), and
   *   the keys it must not decide alone: those central now or being merged (it was not recalled
   *   for them, and a key kept at its limit stays central for as long as it is used).
   */
  join(owner: number, now: number): readonly [number, string[]] {
    const slot = this.#slots.take(owner, now);
    if (slot === undefined) return [0, []];
    return [this.#slots.fraction, [...this.#central, ...this.#merges.keys()]];
  }

  /**
   * One call of `owner` for `key`.
   * @returns the decision, {@link DECIDE_LOCALLY}, or a promise of the decision once a merge ends.
   */
  decide(
    owner: number,
    key: string,
    cost: number,
    mode: number,
    now: number,
  ): EncodedDecision | typeof DECIDE_LOCALLY | Promise<EncodedDecision> {
    const merge = this.#merges.get(key);
    if (merge !== undefined) return new Promise((resolve) => merge.queue.push({ cost, resolve }));
    // Central until the sweep finds it back to empty (within SWEEP_MS), whoever calls.
    if (this.#central.has(key)) return this.#decideHere(key, cost, now);
    if (mode !== CallMode.escalate && this.#slots.holds(owner)) return DECIDE_LOCALLY;
    return this.#merge(key, cost, now);
  }

  /** A holder's answer to recall `recallId`: the cost its share of `key` held. */
  surrendered(recallId: number, key: string, used: number, now: number): void {
    const units = Math.min(used, shareUnits(this.#rule, this.#slots.fraction));
    const merge = this.#merges.get(key);
    if (merge?.waiting.delete(recallId)) {
      merge.used += units;
      if (merge.waiting.size === 0) this.#finish(key, merge, now);
    } else if (this.#central.has(key)) {
      // Late (the merge counted this share as full already): count it again, never too little.
      this.#store.penalize(key, this.#rule, units, now);
    }
  }

  /** A share's full cost, for a holder that died or never answered. */
  get fullShare(): number {
    return shareUnits(this.#rule, this.#slots.fraction);
  }

  /** `owner` exited: its share drains before anyone else takes it. */
  ownerGone(owner: number, now: number): void {
    this.#slots.release(owner, now, this.#drainMs);
  }

  /** Drops the central keys back to empty and returns them, with the holders to tell. */
  sweep(now: number): { keys: string[]; holders: number[] } {
    const keys: string[] = [];
    for (const key of this.#central) {
      if (this.#merges.has(key) || this.#store.usage(key, this.#rule, now) > 0) continue;
      this.#central.delete(key);
      this.#store.delete(key, this.#rule);
      keys.push(key);
    }
    return { keys, holders: keys.length > 0 ? this.#slots.holders() : [] };
  }

  #merge(key: string, cost: number, now: number): EncodedDecision | Promise<EncodedDecision> {
    const merge: Merge = {
      waiting: new Set(),
      used: this.#slots.draining(now) * this.fullShare,
      queue: [],
      timer: undefined,
    };
    for (const owner of this.#slots.holders()) merge.waiting.add(this.#link.recall(owner, this, key));
    if (merge.waiting.size === 0) {
      this.#install(key, merge.used, now);
      return this.#decideHere(key, cost, now);
    }
    this.#merges.set(key, merge);
    merge.timer = setTimeout(() => {
      merge.used += merge.waiting.size * this.fullShare;
      merge.waiting.clear();
      this.#finish(key, merge, performance.now());
    }, RECALL_TIMEOUT_MS).unref();
    return new Promise((resolve) => merge.queue.push({ cost, resolve }));
  }

  #finish(key: string, merge: Merge, now: number): void {
    clearTimeout(merge.timer);
    this.#merges.delete(key);
    this.#install(key, merge.used, now);
    for (const call of merge.queue) call.resolve(this.#decideHere(key, call.cost, now));
  }

  /** Makes `key` central, holding the `used` cost gathered from the shares. */
  #install(key: string, used: number, now: number): void {
    this.#store.delete(key, this.#rule);
    this.#store.penalize(key, this.#rule, used, now);
    this.#central.add(key);
    this.#link.centralAdded();
  }

  #decideHere(key: string, cost: number, now: number): EncodedDecision {
    const d = this.#store.consume(key, this.#rule, cost, now);
    const never = d.retryAfterMs === Number.POSITIVE_INFINITY;
    return [d.allowed ? 1 : 0, d.remaining, d.resetMs, never ? -1 : d.retryAfterMs];
  }
}
