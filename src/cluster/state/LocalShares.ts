import { MemoryRateLimitStore, type RateLimitDecision, type RateLimitRule } from '../../resilience/index.js';
import { STATE_RECALL, STATE_SPLIT, stateItems } from './messages.js';
import type { PrimaryLink } from './PrimaryLink.js';
import { CallMode } from './RateLimitNamespace.js';
import { RL_SURRENDER } from './RateLimitService.js';
import { shareRule } from './rateLimitRules.js';

/**
 * The primary's refusal of a central key, remembered: any call of at least `cost` before `untilMs`
 * (the limiter's clock) would be refused too, since a key's cost only grows by calls and drains
 * with time. So the worker refuses it alone, as rate-limiter-flexible's `inMemoryBlockOnConsumed`
 * does, and a flood at the limit stays off the IPC channel. @internal
 */
export type Refusal = { readonly cost: number; readonly untilMs: number; readonly resetAtMs: number };

/** A worker's share of one rule's keys. @internal */
export type Share = {
  readonly namespace: number;
  /** The rule it decides its share with: a part of the real one, under its own prefix. */
  readonly rule: RateLimitRule;
  /**
   * Keys it surrendered: the primary decides them until it says they are split again; with the
   * primary's last refusal of the key, if it still holds.
   */
  readonly central: Map<string, Refusal | undefined>;
  /** The latest clock reading of its decisions: what a surrender measures the held cost at. */
  lastNowMs: number;
};

/**
 * A worker's shares of the machine's rate limits: it decides each key on its share alone, and
 * gives a key's share up when the primary recalls it (another process needs the whole limit).
 * One per worker process, as the primary keeps shares per process. @internal
 */
export class LocalShares {
  readonly #store = new MemoryRateLimitStore();
  readonly #byNamespace = new Map<number, Share>();
  readonly #link: PrimaryLink;
  #listening: boolean;

  /**
   * @param link - the way to the primary.
   * @param listen - `false` to be fed by {@link LocalShares.receive} instead of `process` messages.
   */
  constructor(link: PrimaryLink, listen = true) {
    this.#link = link;
    this.#listening = !listen;
  }

  /**
   * The share the primary gave for `rule` (`fraction` 0: none), with the keys it decides itself
   * now (`central`).
   */
  add(namespace: number, rule: RateLimitRule, fraction: number, central: unknown = []): Share | undefined {
    if (!(fraction > 0 && fraction <= 1) || !Number.isSafeInteger(namespace)) return undefined;
    let share = this.#byNamespace.get(namespace);
    if (share === undefined) {
      share = {
        namespace,
        rule: shareRule(rule, fraction, `${namespace}:`),
        central: new Map(),
        lastNowMs: Number.NEGATIVE_INFINITY,
      };
      this.#byNamespace.set(namespace, share);
    }
    if (Array.isArray(central)) {
      for (const key of central) if (typeof key === 'string') share.central.set(key, undefined);
    }
    this.#listen();
    return share;
  }

  /**
   * Decides one call on `share` alone when it may: allowed on the share, or refused as the
   * primary refused it last.
   * @returns the decision, else the {@link CallMode} to ask the primary in.
   */
  decide(share: Share, key: string, cost: number, nowMs: number): RateLimitDecision | number {
    if (share.central.has(key)) {
      const refusal = share.central.get(key);
      if (refusal === undefined || cost < refusal.cost || nowMs >= refusal.untilMs) return CallMode.central;
      return {
        allowed: false,
        remaining: 0,
        resetMs: Math.max(0, refusal.resetAtMs - nowMs),
        retryAfterMs: refusal.untilMs - nowMs,
      };
    }
    if (nowMs > share.lastNowMs) share.lastNowMs = nowMs;
    const decision = this.#store.consume(key, share.rule, cost, nowMs);
    return decision.allowed ? decision : CallMode.escalate;
  }

  /**
   * The primary answered that `key` is split: decide it alone from now on.
   * @returns as {@link LocalShares.decide}.
   */
  split(share: Share, key: string, cost: number, nowMs: number): RateLimitDecision | number {
    share.central.delete(key);
    return this.decide(share, key, cost, nowMs);
  }

  /**
   * The primary decided `key` (asked at `sentAtMs`): it is central; remember a refusal. Its wait
   * is counted from when the call left, and less a millisecond of rounding, so the worker never
   * refuses past the moment the primary would allow.
   */
  decided(share: Share, key: string, cost: number, sentAtMs: number, decision: RateLimitDecision): void {
    share.central.set(
      key,
      decision.allowed
        ? undefined
        : {
            cost,
            untilMs: sentAtMs + Math.max(0, decision.retryAfterMs - 1),
            resetAtMs: sentAtMs + decision.resetMs,
          },
    );
  }

  /**
   * Listens for the primary's recalls for as long as the process lives: an unanswered recall
   * stalls other workers' calls for a second. (This keeps the IPC channel, and so the worker,
   * alive: a worker ends with `process.exit()` or `cluster.worker.disconnect()`, as
   * `ClusterSupervisor`'s do.)
   */
  #listen(): void {
    if (this.#listening) return;
    this.#listening = true;
    process.on('message', (message) => this.receive(message));
  }

  /** Handles a message from the primary: a recall or a split; ignores any other. */
  receive(message: unknown): void {
    const splits = stateItems(message, STATE_SPLIT);
    if (splits !== undefined) {
      for (const item of splits) {
        if (Array.isArray(item)) this.#byNamespace.get(item[0])?.central.delete(item[1]);
      }
      return;
    }
    const recalls = stateItems(message, STATE_RECALL);
    if (recalls === undefined) return;
    for (const item of recalls) {
      if (!Array.isArray(item) || typeof item[2] !== 'string') continue;
      const share = this.#byNamespace.get(item[1]);
      let used = 0;
      if (share !== undefined) {
        // Measured at the latest decision's time: the cost held now is no more than that.
        used = this.#store.usage(item[2], share.rule, share.lastNowMs);
        this.#store.delete(item[2], share.rule);
        share.central.set(item[2], undefined);
      }
      (this.#link.call(RL_SURRENDER, [item[0], used]) as Promise<unknown>).catch(ignore);
    }
  }
}

function ignore(): void {}
