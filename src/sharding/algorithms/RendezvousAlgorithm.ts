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
  private ids: string[] = [];
  private seeds = new Uint32Array(0);
  private weights = new Float64Array(0);
  private weighted = false;

  constructor(nodes: readonly ShardNode[]) {
    this.update(nodes);
  }

  locate(key: ShardKey): string {
    const hash = murmur3(typeof key === 'string' ? key : String(key));
    const { seeds, ids } = this;
    let best = 0;
    if (!this.weighted) {
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
        const score = this.weightedScore(hash, i);
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
    const scored = this.ids.map((id, i) => ({ id, score: this.weightedScore(hash, i) }));
    scored.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1));
    return scored.slice(0, n).map((entry) => entry.id);
  }

  update(nodes: readonly ShardNode[]): void {
    this.ids = nodes.map((node) => node.id);
    this.seeds = Uint32Array.from(nodes, (node) => murmur3(node.id, 0x5bd1e995));
    this.weights = Float64Array.from(nodes, (node) => node.weight);
    this.weighted = nodes.some((node) => node.weight !== nodes[0]?.weight);
  }

  clone(): RendezvousAlgorithm {
    const copy = Object.create(RendezvousAlgorithm.prototype) as RendezvousAlgorithm;
    Object.assign(copy, this);
    return copy; // arrays are replaced on update, never mutated
  }

  private weightedScore(hash: number, i: number): number {
    // u in (0, 1); -w / ln(u) is the weighted HRW score (Schindelhauer & Schomaker).
    const u = (fmix32(hash ^ (this.seeds[i] as number)) + 0.5) / 4294967296;
    return -(this.weights[i] as number) / Math.log(u);
  }
}
