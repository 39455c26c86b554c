import { CapacityExceededError } from '../../core/errors/CapacityExceededError.js';
import { InvalidOptionError } from '../../core/errors/InvalidOptionError.js';
import { MemoryRateLimitStore } from '../../resilience/index.js';
import { MAX_CALLS_PER_MESSAGE, STATE_RECALL, STATE_SPLIT } from './messages.js';
import {
  CallMode,
  DECIDE_LOCALLY,
  type EncodedDecision,
  type NamespaceLink,
  RateLimitNamespace,
} from './RateLimitNamespace.js';
import { checkRule, MAX_RATE_LIMIT_KEY_LENGTH, ruleSignature } from './rateLimitRules.js';
import type { StateService } from './StateService.js';

export type { EncodedDecision };
export { MAX_RATE_LIMIT_KEY_LENGTH };

/**
 * `[ruleId, rule]` → `[namespaceId, fraction, central]`: the rule the caller's later calls name by
 * id, its share of each key (`fraction` 0: none), and the keys it must leave to the primary
 * (central now). @internal
 */
export const RL_RULE = 'rl.rule';
/**
 * `[ruleId, key, cost, mode]` → an {@link EncodedDecision}, or {@link DECIDE_LOCALLY} for a share
 * holder whose key is not central. `mode` is a {@link CallMode}. @internal
 */
export const RL_CONSUME = 'rl.consume';
/** `[recallId, used]` → `null`: a holder's answer to a `state:recall`. @internal */
export const RL_SURRENDER = 'rl.surrender';
/** Most rules one process may declare (one per limiter it builds). @internal */
export const MAX_RULES_PER_PROCESS = 1_000;
/** Most distinct rules of the machine (each keeps its share slots). @internal */
export const MAX_NAMESPACES = 10_000;
/** How often central keys are checked for being back to empty. @internal */
export const SWEEP_MS = 1_000;

/** Sends `items` of a `state:recall` or `state:split` message to the process `owner`. @internal */
export type SendToOwner = (owner: number, type: string, items: readonly unknown[]) => void;

type Recall = { readonly namespace: RateLimitNamespace; readonly key: string; readonly owner: number };
type Outbox = { recalls: unknown[]; splits: unknown[] };

/**
 * The rate-limit decisions of every process of the machine, kept in the primary on the primary's
 * clock. Each distinct rule is a {@link RateLimitNamespace}: its workers decide their shares of
 * each key alone until a key needs the whole limit, which the primary then decides. @internal
 */
export class RateLimitService implements StateService {
  readonly ops = [RL_RULE, RL_CONSUME, RL_SURRENDER] as const;
  readonly #store = new MemoryRateLimitStore();
  readonly #shares: number;
  readonly #send: SendToOwner;
  /** Owner → its rule id → namespace. Ids are the owner's; a Map, since ids come from the owner. */
  readonly #rules = new Map<number, Map<number, RateLimitNamespace>>();
  readonly #namespaces = new Map<string, RateLimitNamespace>();
  readonly #recalls = new Map<number, Recall>();
  #nextRecall = 0;
  #outbox = new Map<number, Outbox>();
  #sweeper: NodeJS.Timeout | undefined;
  readonly #link: NamespaceLink = {
    recall: (owner, namespace, key) => {
      const id = this.#nextRecall++;
      this.#recalls.set(id, { namespace, key, owner });
      this.#post(owner).recalls.push([id, namespace.id, key]);
      return id;
    },
    centralAdded: () => {
      this.#sweeper ??= setInterval(this.#sweep, SWEEP_MS).unref();
    },
  };

  /**
   * @param shares - how many worker processes may decide alone, each on `1 / shares` of a key.
   * @param send - the way to a worker.
   */
  constructor(shares: number, send: SendToOwner) {
    this.#shares = shares;
    this.#send = send;
  }

  /** Keys the primary decides (central keys); split keys live in the workers. */
  get size(): number {
    return this.#store.size;
  }

  call(owner: number, op: string, args: readonly unknown[]): unknown {
    const now = performance.now();
    if (op === RL_RULE) return this.#declare(owner, args[0], args[1], now);
    if (op === RL_SURRENDER) {
      this.#surrender(owner, args[0], args[1], now);
      return null;
    }
    const namespace = this.#rules.get(owner)?.get(args[0] as number);
    if (namespace === undefined)
      throw new InvalidOptionError('ruleId', 'a rule declared by this process', args[0]);
    const key = args[1];
    if (typeof key !== 'string' || key.length > MAX_RATE_LIMIT_KEY_LENGTH) {
      throw new InvalidOptionError('key', `a string of at most ${MAX_RATE_LIMIT_KEY_LENGTH} characters`, key);
    }
    const cost = args[2];
    if (typeof cost !== 'number' || !Number.isSafeInteger(cost) || cost < 0) {
      throw new InvalidOptionError('cost', 'an integer >= 0', cost);
    }
    const mode = args[3] ?? CallMode.noShare;
    if (mode !== CallMode.noShare && mode !== CallMode.escalate && mode !== CallMode.central) {
      throw new InvalidOptionError('mode', '0, 1 or 2', mode);
    }
    return namespace.decide(owner, key, cost, mode, now);
  }

  ownerGone(owner: number): void {
    const now = performance.now();
    this.#rules.delete(owner);
    this.#outbox.delete(owner);
    for (const namespace of this.#namespaces.values()) namespace.ownerGone(owner, now);
    // Its unanswered recalls: a dead share counts as full.
    for (const [id, recall] of this.#recalls) {
      if (recall.owner !== owner) continue;
      this.#recalls.delete(id);
      recall.namespace.surrendered(id, recall.key, recall.namespace.fullShare, now);
    }
  }

  #declare(
    owner: number,
    id: unknown,
    value: unknown,
    now: number,
  ): readonly [number, number, readonly string[]] {
    if (!Number.isSafeInteger(id) || (id as number) < 0) {
      throw new InvalidOptionError('ruleId', 'an integer >= 0', id);
    }
    let rules = this.#rules.get(owner);
    if (rules === undefined) {
      rules = new Map();
      this.#rules.set(owner, rules);
    }
    if (!rules.has(id as number) && rules.size >= MAX_RULES_PER_PROCESS) {
      throw new CapacityExceededError('rate-limit rules of one process', MAX_RULES_PER_PROCESS);
    }
    const rule = checkRule(value);
    const signature = ruleSignature(rule);
    let namespace = this.#namespaces.get(signature);
    if (namespace === undefined) {
      if (this.#namespaces.size >= MAX_NAMESPACES) {
        throw new CapacityExceededError('distinct rate-limit rules', MAX_NAMESPACES);
      }
      namespace = new RateLimitNamespace(this.#namespaces.size, rule, this.#shares, this.#store, this.#link);
      this.#namespaces.set(signature, namespace);
    }
    rules.set(id as number, namespace);
    // The primary decides its own calls: it holds no share (nothing would recall it). Nor does
    // anyone hold a share of an exact rule's keys: they are counted here, every call.
    const [fraction, central] =
      owner === process.pid || rule.exact === true ? [0, []] : namespace.join(owner, now);
    return [namespace.id, fraction, central];
  }

  #surrender(owner: number, id: unknown, used: unknown, now: number): void {
    const recall = typeof id === 'number' ? this.#recalls.get(id) : undefined;
    if (recall === undefined || recall.owner !== owner) return; // not its recall, or answered already
    this.#recalls.delete(id as number);
    const units =
      typeof used === 'number' && Number.isFinite(used) && used >= 0 ? used : recall.namespace.fullShare;
    recall.namespace.surrendered(id as number, recall.key, units, now);
  }

  #post(owner: number): Outbox {
    if (this.#outbox.size === 0) setImmediate(this.#flush);
    let box = this.#outbox.get(owner);
    if (box === undefined) {
      box = { recalls: [], splits: [] };
      this.#outbox.set(owner, box);
    }
    return box;
  }

  /** Sends what this turn queued, one message per owner and kind (more when it is long). */
  readonly #flush = (): void => {
    const outbox = this.#outbox;
    this.#outbox = new Map();
    for (const [owner, box] of outbox) {
      for (const [type, items] of [
        [STATE_SPLIT, box.splits],
        [STATE_RECALL, box.recalls],
      ] as const) {
        for (let from = 0; from < items.length; from += MAX_CALLS_PER_MESSAGE) {
          this.#send(owner, type, items.slice(from, from + MAX_CALLS_PER_MESSAGE));
        }
      }
    }
  };

  readonly #sweep = (): void => {
    const now = performance.now();
    let central = 0;
    for (const namespace of this.#namespaces.values()) {
      const { keys, holders } = namespace.sweep(now);
      for (const owner of holders) {
        const splits = this.#post(owner).splits;
        for (const key of keys) splits.push([namespace.id, key]);
      }
      central += namespace.centralKeys;
    }
    if (central === 0) {
      clearInterval(this.#sweeper);
      this.#sweeper = undefined;
    }
  };
}
