import { murmur3 } from '../hashers.js';
import type { ShardKey, ShardNode } from '../ShardNode.js';
import { compareIds } from './continuum.js';
import type { Partition, ShardAlgorithm } from './ShardAlgorithm.js';

/**
 * Maglev hashing (Eisenbud et al., NSDI 2016): a lookup table of prime size M, filled by letting
 * nodes take turns claiming their next preferred free slot (each node's preference list is a
 * permutation of the slots from an offset and a skip derived from its id; see powerTable for
 * how it departs from the paper's). A key reads `table[hash % M]`:
 * O(1) per lookup, near-perfect balance, and small (not zero) disruption on membership change.
 * Weights follow Envoy's weighted Maglev: a node of weight w takes a turn w/maxWeight as often.
 * Nodes take turns in id order, so the table does not depend on the order they were added.
 * @internal
 */
export class MaglevAlgorithm implements ShardAlgorithm {
  readonly name = 'maglev';
  /** Replaced on every change, never mutated, so clones can share it. */
  private layout: Layout;

  constructor(
    private readonly tableSize: number,
    nodes: readonly ShardNode[],
  ) {
    this.layout = layOut(nodes, tableSize);
  }

  locate(key: ShardKey): string {
    const { ids, table } = this.layout;
    return ids[table[this.position(key)] as number] as string;
  }

  locateMany(key: ShardKey, n: number): string[] {
    const { ids, table } = this.layout;
    const found: string[] = [];
    const start = this.position(key);
    // Ends within one lap of the table: every node owns a slot (see populate) and n <= nodes.
    for (let step = 0; found.length < n; step++) {
      const id = ids[table[(start + step) % this.tableSize] as number] as string;
      if (!found.includes(id)) found.push(id);
    }
    return found;
  }

  update(nodes: readonly ShardNode[]): void {
    this.layout = layOut(nodes, this.tableSize);
  }

  clone(): MaglevAlgorithm {
    const copy = Object.create(MaglevAlgorithm.prototype) as MaglevAlgorithm;
    Object.assign(copy, this);
    return copy;
  }

  partition(): Partition {
    const { ids, table } = this.layout;
    const ends = Uint32Array.from({ length: this.tableSize }, (_, i) => i);
    return {
      space: 'maglev-table',
      size: this.tableSize,
      ends,
      owners: Array.from(table, (i) => ids[i] as string),
    };
  }

  /** The key's slot in the lookup table. */
  position(key: ShardKey): number {
    return murmur3(typeof key === 'string' ? key : String(key)) % this.tableSize;
  }
}

/** The nodes in id order and the lookup table of indexes into them. */
type Layout = { readonly ids: readonly string[]; readonly table: Int32Array };

function layOut(nodes: readonly ShardNode[], size: number): Layout {
  const sorted = [...nodes].sort((a, b) => compareIds(a.id, b.id));
  return { ids: sorted.map((node) => node.id), table: populate(sorted, size) };
}

/**
 * Fills the table. Every node takes a turn in the first round (its target starts at 0), and the
 * sharder allows at most size − 1 nodes, so every node owns at least one slot.
 */
function populate(nodes: readonly ShardNode[], size: number): Int32Array {
  const table = new Int32Array(size).fill(-1);
  if (nodes.length === 0) return table;
  const offsets = nodes.map((node) => murmur3(node.id, 0xb0f57ee3) % size);
  const skips = nodes.map((node) => (murmur3(node.id, 0x2f9be6cc) % (size - 1)) + 1);
  const next = new Array<number>(nodes.length).fill(0);
  const turns = powerTable(size);
  const maxWeight = Math.max(...nodes.map((node) => node.weight));
  const targets = new Array<number>(nodes.length).fill(0);
  let filled = 0;
  for (let iteration = 1; filled < size; iteration++) {
    for (let i = 0; i < nodes.length && filled < size; i++) {
      // Envoy: a node of weight w takes a turn when iteration × w has reached its target,
      // and each turn raises the target by maxWeight.
      if (iteration * (nodes[i] as ShardNode).weight < (targets[i] as number)) continue;
      targets[i] = (targets[i] as number) + maxWeight;
      let slot: number;
      do {
        slot = ((offsets[i] as number) + (turns[next[i] as number] as number) * (skips[i] as number)) % size;
        next[i] = (next[i] as number) + 1;
      } while (table[slot] !== -1);
      table[slot] = i;
      filled++;
    }
  }
  return table;
}

/**
 * j^e mod size for every j, with e the smallest exponent ≥ 3 where gcd(e, size − 1) = 1, so that
 * j ↦ j^e permutes 0..size−1 and a node's j-th choice is offset + j^e·skip. Maglev's own list,
 * offset + j·skip, makes two nodes that draw the same skip (one pair in size − 1: 7 % of 100-node
 * clusters on the default table) walk the same cycle and fight over it; removing any node then
 * moved up to 27 % of the other keys. With j^e, equal skips give unrelated lists.
 */
function powerTable(size: number): Uint32Array {
  const exponent = permutingExponent(size);
  return Uint32Array.from({ length: size }, (_, j) => powMod(j, exponent, size));
}

/** The smallest exponent e ≥ 3 with gcd(e, size − 1) = 1 (size − 1 is even, so e is odd). */
function permutingExponent(size: number): number {
  let exponent = 3;
  while (gcd(exponent, size - 1) !== 1) exponent += 2;
  return exponent;
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/** base^exponent mod size; every product stays below 2^53 for sizes up to 2^26. */
function powMod(base: number, exponent: number, size: number): number {
  let result = 1;
  let square = base % size;
  for (let e = exponent; e > 0; e >>>= 1) {
    if (e & 1) result = (result * square) % size;
    square = (square * square) % size;
  }
  return result;
}
