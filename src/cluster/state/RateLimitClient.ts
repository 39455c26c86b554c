import type { RateLimitDecision, RateLimitRule } from '../../resilience/index.js';
import { LocalShares, type Share } from './LocalShares.js';
import type { PrimaryLink } from './PrimaryLink.js';
import { CallMode, DECIDE_LOCALLY, type EncodedDecision } from './RateLimitNamespace.js';
import { RL_CONSUME, RL_RULE } from './RateLimitService.js';

/** A rule as this process declared it: its id, and the share of its keys the primary gave. */
type Declared = { readonly id: number; share: Share | undefined };

/**
 * One process's side of the machine's rate limits: declares each rule once, decides on the
 * process's shares when it can and asks the primary otherwise. @internal
 */
export class RateLimitClient {
  readonly #link: PrimaryLink;
  readonly #declared = new WeakMap<RateLimitRule, Declared>();
  #nextRuleId = 0;
  #shares: LocalShares | undefined;
  readonly #listen: boolean;

  /**
   * @param link - the way to the primary.
   * @param listen - `false` when the primary's recalls are fed to {@link RateLimitClient.receive}.
   */
  constructor(link: PrimaryLink, listen = true) {
    this.#link = link;
    this.#listen = listen;
  }

  /** Decides one call; see `ClusterRateLimitStore.consume`. */
  consume(
    key: string,
    rule: RateLimitRule,
    cost: number,
    nowMs: number,
  ): RateLimitDecision | Promise<RateLimitDecision> {
    const rules = this.#declared.get(rule) ?? this.#declare(rule);
    let mode: number = CallMode.noShare;
    if (rules.share !== undefined) {
      const local = (this.#shares as LocalShares).decide(rules.share, key, cost, nowMs);
      if (typeof local !== 'number') return local;
      mode = local;
    }
    return this.#ask(rules, key, cost, nowMs, mode);
  }

  /** A message from the primary (a recall or a split), for a client that does not listen. */
  receive(message: unknown): void {
    this.#shares?.receive(message);
  }

  #ask(
    rules: Declared,
    key: string,
    cost: number,
    nowMs: number,
    mode: number,
  ): RateLimitDecision | Promise<RateLimitDecision> {
    const answer = this.#link.call(RL_CONSUME, [rules.id, key, cost, mode]);
    if (!(answer instanceof Promise)) return decode(answer);
    return answer.then((value) => {
      const share = rules.share;
      if (share === undefined) return decode(value);
      if (value !== DECIDE_LOCALLY) {
        const decision = decode(value);
        (this.#shares as LocalShares).decided(share, key, cost, nowMs, decision);
        return decision;
      }
      const local = (this.#shares as LocalShares).split(share, key, cost, nowMs);
      // Refused on the share: the key needs the others' shares, which only the primary can gather.
      return typeof local === 'number' ? this.#ask(rules, key, cost, nowMs, CallMode.escalate) : local;
    });
  }

  #declare(rule: RateLimitRule): Declared {
    const rules: Declared = { id: this.#nextRuleId++, share: undefined };
    this.#declared.set(rule, rules);
    // IPC keeps order: the primary knows the rule before the first decision that names it. A
    // failed declaration fails those decisions, which then say why.
    const reply = this.#link.call(RL_RULE, [rules.id, rule]);
    if (reply instanceof Promise) {
      reply.then(
        (value) => {
          const [namespace, fraction, central] = value as [number, number, unknown];
          this.#shares ??= new LocalShares(this.#link, this.#listen);
          rules.share = this.#shares.add(namespace, rule, fraction, central);
        },
        () => this.#declared.delete(rule),
      );
    }
    return rules;
  }
}

function decode(answer: unknown): RateLimitDecision {
  const [allowed, remaining, resetMs, retryAfterMs] = answer as EncodedDecision;
  return {
    allowed: allowed === 1,
    remaining,
    resetMs,
    retryAfterMs: retryAfterMs < 0 ? Number.POSITIVE_INFINITY : retryAfterMs,
  };
}
