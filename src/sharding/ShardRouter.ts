import { InvalidOptionError } from '../core/errors/InvalidOptionError.js';
import { checkOptionKeys, functionOption, optionNames, optionsObject } from '../core/internal/validate.js';
import type { ConsistentHashSharder } from './ConsistentHashSharder.js';
import { type ShardKey, shardKeyOption } from './ShardNode.js';

/** Turns a record into the key it is sharded by (see the `shardBy…` strategies). */
export type ShardKeyStrategy<R> = (record: R) => ShardKey;

/** Options of {@link ShardRouter}. */
export type ShardRouterOptions<R> = {
  /** The sharder that places shard keys on nodes. */
  readonly sharder: ConsistentHashSharder;
  /** How a record becomes a shard key: a `shardBy…` strategy or your own function. */
  readonly strategy: ShardKeyStrategy<R>;
  /**
   * Shard keys that must live on a fixed node rather than where hashing puts them — data
   * residency (`{ 'region:eu': 'db-eu-1' }`), or a tenant too big to share. A pinned node must
   * be in the sharder when a record is routed to it.
   * @default {}
   */
  readonly pins?: Readonly<Record<string, string>>;
};

const OPTIONS = optionNames<ShardRouterOptions<unknown>>()(['sharder', 'strategy', 'pins']);

/**
 * Routes records to nodes: record → shard key (by a strategy) → node (by the sharder, or a pin).
 * Mirrors how servers shard in practice — by user id, by date range, by content type, by
 * geography — with the consistent-hash guarantees of the sharder underneath.
 *
 * @example
 * {@includeCode ./ShardRouter.test.ts#router}
 */
export class ShardRouter<R> {
  private readonly sharder: ConsistentHashSharder;
  private readonly strategy: ShardKeyStrategy<R>;
  private readonly pins: ReadonlyMap<string, string>;

  /**
   * @param options - the sharder, the strategy and any pins.
   * @throws {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION` for a missing sharder or
   *   strategy, or a pin that is not a non-empty string.
   */
  constructor(options: ShardRouterOptions<R>) {
    const opts = optionsObject('options', options) as Partial<ShardRouterOptions<R>>;
    checkOptionKeys(opts, OPTIONS, 'ShardRouter');
    if (typeof opts.sharder?.getNode !== 'function') {
      throw new InvalidOptionError('options.sharder', 'a ConsistentHashSharder', opts.sharder);
    }
    this.sharder = opts.sharder;
    this.strategy = functionOption('options.strategy', opts.strategy);
    const pins = optionsObject('options.pins', opts.pins);
    this.pins = new Map(Object.entries(pins));
    for (const [key, node] of this.pins) {
      if (typeof node !== 'string' || node.length === 0) {
        throw new InvalidOptionError(`options.pins[${JSON.stringify(key)}]`, 'a node id', node);
      }
    }
  }

  /**
   * The shard key of `record`.
   * @throws {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION` when the strategy returns
   *   something other than a string or finite number.
   */
  shardKey(record: R): ShardKey {
    return shardKeyOption('strategy(record)', this.strategy(record));
  }

  /**
   * The node `record` lives on.
   * @throws {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION` for a bad shard key, or a
   *   pin naming a node the sharder does not have.
   * @throws {@link NoTargetError} `ERR_LOADSTONE_NO_TARGET` when the sharder has no nodes.
   */
  route(record: R): string {
    const key = this.shardKey(record);
    const pinned = this.pins.get(String(key));
    if (pinned === undefined) return this.sharder.getNode(key);
    if (!this.sharder.hasNode(pinned)) {
      throw new InvalidOptionError(`pins[${JSON.stringify(String(key))}]`, 'a node in the sharder', pinned);
    }
    return pinned;
  }

  /** `n` distinct nodes for `record` (replicas), the owner first; a pinned key's pin comes first. */
  routeMany(record: R, n: number): string[] {
    const owner = this.route(record);
    const nodes = this.sharder.getNodes(this.shardKey(record), n);
    return [owner, ...nodes.filter((node) => node !== owner)].slice(0, n);
  }
}
