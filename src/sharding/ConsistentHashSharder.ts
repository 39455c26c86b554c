import { InvalidOptionError } from '../core/errors/InvalidOptionError.js';
import { NoTargetError } from '../core/errors/NoTargetError.js';
import { integerOption, nonEmptyStringOption, numberOption, oneOfOption } from '../core/internal/validate.js';
import { JumpAlgorithm } from './algorithms/JumpAlgorithm.js';
import { KetamaAlgorithm } from './algorithms/KetamaAlgorithm.js';
import { MaglevAlgorithm } from './algorithms/MaglevAlgorithm.js';
import { RendezvousAlgorithm } from './algorithms/RendezvousAlgorithm.js';
import { RingAlgorithm } from './algorithms/RingAlgorithm.js';
import type { ShardAlgorithm, ShardAlgorithmName } from './algorithms/ShardAlgorithm.js';
import type { ConsistentHashSharderOptions } from './ConsistentHashSharderOptions.js';
import { planRebalance } from './planRebalance.js';
import { MAX_NODE_WEIGHT, MAX_POINTS, pointsOf } from './pointBudget.js';
import type { RebalancePlan, TopologyChange } from './RebalancePlan.js';
import { type ShardKey, type ShardNode, type ShardNodeInput, shardKeyOption } from './ShardNode.js';

const ALGORITHMS: readonly ShardAlgorithmName[] = ['ring', 'ketama', 'jump', 'rendezvous', 'maglev'];
const ALGORITHM_OPTIONS: Record<ShardAlgorithmName, readonly string[]> = {
  ring: ['vnodes'],
  ketama: ['pointFormat', 'defaultPort'],
  jump: [],
  rendezvous: [],
  maglev: ['tableSize'],
};
const MAX_TABLE_SIZE = 16_777_259;

/**
 * Maps keys to nodes so that a change of nodes moves as few keys as possible: add a node and only
 * the keys it takes over move (about 1/(n+1) of them); remove one and only its keys move.
 *
 * Five algorithms, one API:
 * - `ring` (default): virtual nodes on a murmur3 ring; weighted; O(log points) lookups.
 * - `ketama`: the memcached clients' MD5 continuum, point for point, so a key lands on the same
 *   server as it does for libmemcached, pylibmc, libketama, twemproxy or spymemcached clients.
 * - `jump`: jump consistent hash; no memory per point, integer keys used as they are.
 * - `rendezvous`: highest random weight; exact weighted shares; O(nodes) lookups.
 * - `maglev`: Maglev lookup table; O(1) lookups, near-perfect balance.
 *
 * Keys are strings or finite numbers. Strings are hashed from their UTF-8 bytes; numbers from
 * their decimal string (`42` and `'42'` land together), except that `jump` takes a non-negative
 * safe integer as its 64-bit key directly, so `getNode(n)` is `nodes[jumpHash(n, count)]` for a
 * sharder built in that node order.
 *
 * @example
 * {@includeCode ./ConsistentHashSharder.test.ts#quickStart}
 */
export class ConsistentHashSharder {
  /** The algorithm in use. */
  readonly algorithm: ShardAlgorithmName;
  private readonly members = new Map<string, ShardNode>();
  private readonly engine: ShardAlgorithm;
  /** Maglev needs fewer nodes than table slots; the other algorithms have no limit. */
  private readonly nodeLimit: number;
  /** Ring points per unit of weight (`ring` only). */
  private readonly vnodes: number;
  /** Ring points or jump buckets of the current nodes, against {@link MAX_POINTS}. */
  private points = 0;

  /**
   * @param options - nodes, algorithm and that algorithm's settings.
   * @throws {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION` for no nodes, a duplicate
   *   or empty id, a non-positive (for `jump`, non-integer) weight, an unknown algorithm, or an
   *   option that does not belong to the chosen algorithm.
   */
  constructor(options: ConsistentHashSharderOptions) {
    if (typeof options !== 'object' || options === null) {
      throw new InvalidOptionError('options', 'an object with a `nodes` array', options);
    }
    this.algorithm = oneOfOption('options.algorithm', options.algorithm ?? 'ring', ALGORITHMS);
    for (const [name, value] of Object.entries(options)) {
      if (name !== 'nodes' && name !== 'algorithm' && !ALGORITHM_OPTIONS[this.algorithm].includes(name)) {
        throw new InvalidOptionError(
          `options.${name}`,
          `absent: it is not an option of the "${this.algorithm}" algorithm (its options: ${['nodes', 'algorithm', ...ALGORITHM_OPTIONS[this.algorithm]].join(', ')})`,
          value,
        );
      }
    }
    const tableSize = options.algorithm === 'maglev' ? resolveTableSize(options.tableSize) : 0;
    this.nodeLimit = options.algorithm === 'maglev' ? tableSize - 1 : Number.POSITIVE_INFINITY;
    this.vnodes =
      this.algorithm === 'ring'
        ? integerOption('options.vnodes', (options as { vnodes?: number }).vnodes ?? 2048, 1, 65536)
        : 0;
    if (!Array.isArray(options.nodes) || options.nodes.length === 0) {
      throw new InvalidOptionError(
        'options.nodes',
        'a non-empty array of node ids or { id, weight }',
        options.nodes,
      );
    }
    options.nodes.forEach((input, index) => {
      const node = this.resolveNode(input, `options.nodes[${index}]`, this.members, this.points);
      this.members.set(node.id, node);
      this.points += this.pointsOf(node);
    });
    this.engine = this.createEngine(options, this.nodeList(), tableSize);
  }

  /** The nodes, in the order they were added. */
  get nodes(): readonly ShardNode[] {
    return this.nodeList();
  }

  /** How many nodes there are. */
  get size(): number {
    return this.members.size;
  }

  /** Whether a node with this id is in the sharder. */
  hasNode(id: string): boolean {
    return this.members.has(id);
  }

  /**
   * The node that owns `key`.
   * @param key - a string, or a finite number.
   * @returns the owning node's id.
   * @throws {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION` for a key that is neither.
   * @throws {@link NoTargetError} `ERR_LOADSTONE_NO_TARGET` when every node has been removed.
   */
  getNode(key: ShardKey): string {
    shardKeyOption('key', key);
    if (this.members.size === 0) throw new NoTargetError('the sharder has no nodes');
    return this.engine.locate(key);
  }

  /**
   * `n` distinct nodes for `key`, the owner first: where to put replicas. Each algorithm walks
   * on from the owner in its own order (ring/ketama clockwise, maglev along the table,
   * rendezvous by score, jump by its re-hash sequence), so the list is stable for a key.
   * @param key - a string, or a finite number.
   * @param n - how many nodes, from 1 to the node count.
   * @throws {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION` for a bad key, or `n` outside that range.
   * @throws {@link NoTargetError} `ERR_LOADSTONE_NO_TARGET` when every node has been removed.
   */
  getNodes(key: ShardKey, n: number): string[] {
    this.getNode(key); // validates key and emptiness
    integerOption('n', n, 1, this.members.size);
    return this.engine.locateMany(key, n);
  }

  /**
   * Adds a node. Only keys the new node takes over move.
   * @param node - an id, or `{ id, weight }`.
   * @throws {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION` for a bad or duplicate node.
   */
  addNode(node: ShardNodeInput): void {
    const resolved = this.resolveNode(node, 'node', this.members, this.points);
    this.members.set(resolved.id, resolved);
    this.points += this.pointsOf(resolved);
    this.engine.update(this.nodeList(), { added: resolved });
  }

  /**
   * Removes a node. Only its keys move (see the README's sharding section for `ketama`'s and
   * `maglev`'s small exceptions).
   * @param id - the node's id.
   * @throws {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION` when no node has this id.
   */
  removeNode(id: string): void {
    const node = this.members.get(id);
    if (!node) throw new InvalidOptionError('id', 'the id of a node in the sharder', id);
    this.members.delete(id);
    this.points -= this.pointsOf(node);
    this.engine.update(this.nodeList(), { removed: node });
  }

  /**
   * Where `key` sits in the algorithm's key space, for matching keys against a
   * {@link RebalancePlan}'s ranges: its 32-bit hash for `ring` and `ketama`, its table slot for
   * `maglev`, `undefined` for `jump` and `rendezvous` (which have no ranges).
   */
  position(key: ShardKey): number | undefined {
    shardKeyOption('key', key);
    return this.engine.position?.(key);
  }

  /**
   * Works out what a topology change would move, without applying it.
   * @param change - nodes to add and ids to remove.
   * @returns the plan: moves between nodes with their shares and ranges, and `destination(key)`.
   * @throws {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION` for a bad node, a duplicate,
   *   or the id of a node that is not there.
   *
   * @example
   * {@includeCode ./ConsistentHashSharder.test.ts#plan}
   */
  plan(change: TopologyChange): RebalancePlan {
    if (typeof change !== 'object' || change === null) {
      throw new InvalidOptionError('change', 'an object with `add` and/or `remove`', change);
    }
    const after = this.engine.clone();
    const members = new Map(this.members);
    let points = this.points;
    (change.remove ?? []).forEach((id, index) => {
      const node = members.get(id);
      if (!node)
        throw new InvalidOptionError(`change.remove[${index}]`, 'the id of a node in the sharder', id);
      members.delete(id);
      points -= this.pointsOf(node);
      after.update([...members.values()], { removed: node });
    });
    (change.add ?? []).forEach((input, index) => {
      const node = this.resolveNode(input, `change.add[${index}]`, members, points);
      members.set(node.id, node);
      points += this.pointsOf(node);
      after.update([...members.values()], { added: node });
    });
    // The plan keeps a snapshot of today's placement: it must not change when the sharder does.
    return planRebalance(this.engine.clone(), after, [...this.members.keys()], [...members.keys()]);
  }

  private nodeList(): ShardNode[] {
    return [...this.members.values()];
  }

  private pointsOf(node: ShardNode): number {
    return pointsOf(this.algorithm, this.vnodes, node.weight);
  }

  /** Checks a node given at `path`, against `members` and the `points` they already take. */
  private resolveNode(
    input: ShardNodeInput,
    path: string,
    members: ReadonlyMap<string, ShardNode>,
    points: number,
  ): ShardNode {
    const id =
      typeof input === 'string' ? input : typeof input === 'object' && input !== null ? input.id : undefined;
    const idPath = typeof input === 'string' ? path : `${path}.id`;
    nonEmptyStringOption(idPath, id);
    if (members.has(id as string))
      throw new InvalidOptionError(idPath, 'an id not already in the sharder', id);
    const weight = typeof input === 'string' ? 1 : (input.weight ?? 1);
    if (this.algorithm === 'jump') integerOption(`${path}.weight`, weight, 1, MAX_NODE_WEIGHT);
    else numberOption(`${path}.weight`, weight, 0, MAX_NODE_WEIGHT, true);
    const needed = pointsOf(this.algorithm, this.vnodes, weight);
    if (points + needed > MAX_POINTS) {
      throw new InvalidOptionError(
        `${path}.weight`,
        `a weight whose ${this.algorithm === 'ring' ? 'ring points (vnodes × weight)' : 'buckets'} fit, with the other nodes', in ${MAX_POINTS} (${points} taken; lower the weights${this.algorithm === 'ring' ? ' or vnodes' : ''})`,
        weight,
      );
    }
    if (members.size >= this.nodeLimit) {
      throw new InvalidOptionError(
        path,
        `a node beyond the limit of ${this.nodeLimit} (tableSize − 1)`,
        input,
      );
    }
    return { id: id as string, weight };
  }

  private createEngine(
    options: ConsistentHashSharderOptions,
    nodes: readonly ShardNode[],
    tableSize: number,
  ): ShardAlgorithm {
    switch (options.algorithm) {
      case 'ketama':
        return new KetamaAlgorithm(
          oneOfOption('options.pointFormat', options.pointFormat ?? 'libmemcached', [
            'libmemcached',
            'libketama',
            'twemproxy',
            'spymemcached',
          ]),
          integerOption('options.defaultPort', options.defaultPort ?? 11211, 0, 65535),
          nodes,
        );
      case 'jump':
        return new JumpAlgorithm(nodes);
      case 'rendezvous':
        return new RendezvousAlgorithm(nodes);
      case 'maglev':
        return new MaglevAlgorithm(tableSize, nodes);
      default:
        return new RingAlgorithm(this.vnodes, nodes);
    }
  }
}

function resolveTableSize(value: number | undefined): number {
  const tableSize = integerOption('options.tableSize', value ?? 65537, 3, MAX_TABLE_SIZE);
  if (!isPrime(tableSize)) throw new InvalidOptionError('options.tableSize', 'a prime number', tableSize);
  return tableSize;
}

function isPrime(value: number): boolean {
  if (value < 2) return false;
  for (let divisor = 2; divisor * divisor <= value; divisor++) if (value % divisor === 0) return false;
  return true;
}
