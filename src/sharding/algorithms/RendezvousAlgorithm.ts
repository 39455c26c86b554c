import { fmix32, murmur3 } from '../hashers.js';
import type { ShardKey, ShardNode } from '../ShardNode.js';
import type { ShardAlgorithm } from './ShardAlgorithm.js';

/**
 * Rendezvous (highest random weight) hashing: every node scores every key and the highest score
 * wins. Scores are `fmix32(keyHash ^ nodeSeed)`; with unequal weights the score becomes
 * `-weight / ln(u)` (u the mixed hash in (0, 1)), which gives each node a share of keys
 * proportional to its weight and still moves only the keys that must move. O(nodes) per lookup.
 * @internal
 */
export class RendezvousAlgorithm implements ShardAlgorithm {
  readonly name = 'rendezvous';
  /** Replaced on every change, never mutated, so clones can share it. */
  private table: ScoreTable;

  constructor(nodes: readonly ShardNode[]) {
    this.table = scoreTable(nodes);
  }

  locate(key: ShardKey): string {
    const hash = murmur3(typeof key === 'string' ? key : String(key));
    const { seeds, ids } = this.table;
    let best = 0;
    // Stryker disable next-line ConditionalExpression: a fast path; the weighted score ranks equal weights alike
    if (!this.table.weighted) {
      let bestScore = -1;
      for (let i = 0; i < seeds.length; i++) {
        const score = fmix32(hash ^ (seeds[i] as number));
        if (score > bestScore || (score === bestScore && (ids[i] as string) < (ids[best] as string))) {
          bestScore = score;
          best = i;
        }
      }
    } else {
      let bestScore = Number.NEGATIVE_INFINITY;
      for (let i = 0; i < seeds.length; i++) {
        const score = weightedScore(this.table, hash, i);
        if (score > bestScore || (score === bestScore && (ids[i] as string) < (ids[best] as string))) {
          bestScore = score;
          best = i;
        }
      }
    }
    return ids[best] as string;
  }

  locateMany(key: ShardKey, n: number): string[] {
    const hash = murmur3(typeof key === 'string' ? key : String(key));
    const scored = this.table.ids.map((id, i) => ({ id, score: weightedScore(this.table, hash, i) }));
    scored.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1));
    return scored.slice(0, n).map((entry) => entry.id);
  }

  update(nodes: readonly ShardNode[]): void {
    this.table = scoreTable(nodes);
  }

  clone(): RendezvousAlgorithm {
    const copy = Object.create(RendezvousAlgorithm.prototype) as RendezvousAlgorithm;
    Object.assign(copy, this);
    return copy;
  }
}

/** What scoring needs of each node, in the order given. */
type ScoreTable = {
  readonly ids: readonly string[];
  readonly seeds: Uint32Array;
  readonly weights: Float64Array;
  /** Whether weights differ; with equal weights the mixed hash alone ranks nodes. */
  readonly weighted: boolean;
};

function scoreTable(nodes: readonly ShardNode[]): ScoreTable {
  return {
    ids: nodes.map((node) => node.id),
    seeds: Uint32Array.from(nodes, (node) => murmur3(node.id, 0x5bd1e995)),
    weights: Float64Array.from(nodes, (node) => node.weight),
    // Stryker disable next-line ConditionalExpression: `true` only turns the fast path off (see locate)
    weighted: nodes.some((node) => node.weight !== nodes[0]?.weight),
  };
}

/** -w / ln(u), u in (0, 1) from the mixed hash: the weighted HRW score (Schindelhauer & Schomaker). */
function weightedScore({ seeds, weights }: ScoreTable, hash: number, i: number): number {
  const u = (fmix32(hash ^ (seeds[i] as number)) + 0.5) / 4294967296;
  return -(weights[i] as number) / Math.log(u);
}
