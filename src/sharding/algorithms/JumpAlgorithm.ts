import { fmix32, murmur3Pair } from '../hashers.js';
import { jumpHashWords } from '../jumpHash.js';
import type { ShardKey, ShardNode } from '../ShardNode.js';
import type { ShardAlgorithm } from './ShardAlgorithm.js';

const TWO_POW_32 = 4294967296;
const keyWords = new Uint32Array(2);

/**
 * Jump consistent hash over buckets, each bucket owned by a node (a node of integer weight w owns
 * w buckets). Jump itself only grows and shrinks at the end, so a node removed from the middle
 * leaves its buckets empty: a key that jumps into an empty bucket is re-hashed and jumps again
 * until it lands in a live one. Keys on live buckets never move, the removed node's keys spread
 * evenly over the rest, and a node added later fills empty buckets before new ones are appended.
 * @internal
 */
export class JumpAlgorithm implements ShardAlgorithm {
  readonly name = 'jump';
  /** Bucket → owning node id, or `undefined` for a bucket whose node was removed. */
  private buckets: (string | undefined)[] = [];

  constructor(nodes: readonly ShardNode[]) {
    for (const node of nodes) this.claimBuckets(node);
  }

  locate(key: ShardKey): string {
    let hi: number;
    let lo: number;
    if (typeof key === 'number' && key >= 0 && Number.isSafeInteger(key)) {
      hi = Math.floor(key / TWO_POW_32);
      lo = key >>> 0;
    } else {
      murmur3Pair(typeof key === 'string' ? key : String(key), keyWords);
      hi = keyWords[0] as number;
      lo = keyWords[1] as number;
    }
    const buckets = this.buckets;
    let owner = buckets[jumpHashWords(hi, lo, buckets.length)];
    for (let attempt = 1; owner === undefined; attempt++) {
      lo = fmix32(lo ^ Math.imul(attempt, 0x9e3779b9));
      hi = fmix32(hi ^ lo);
      owner = buckets[jumpHashWords(hi, lo, buckets.length)];
    }
    return owner;
  }

  locateMany(key: ShardKey, n: number): string[] {
    // Replicas follow the same probe sequence as the owner's own re-hashing, skipping nodes
    // already chosen; a bounded number of probes, then the bucket order, guarantees an answer.
    const found = [this.locate(key)];
    murmur3Pair(String(key), keyWords);
    let hi = keyWords[0] as number;
    let lo = keyWords[1] as number;
    const limit = 32 * this.buckets.length;
    for (let attempt = 1; found.length < n && attempt <= limit; attempt++) {
      lo = fmix32(lo ^ Math.imul(attempt, 0x85ebca6b));
      hi = fmix32(hi ^ lo);
      const owner = this.buckets[jumpHashWords(hi, lo, this.buckets.length)];
      if (owner !== undefined && !found.includes(owner)) found.push(owner);
    }
    for (const owner of this.buckets) {
      if (found.length >= n) break;
      if (owner !== undefined && !found.includes(owner)) found.push(owner);
    }
    return found;
  }

  update(_nodes: readonly ShardNode[], change: { added?: ShardNode; removed?: ShardNode }): void {
    if (change.removed) {
      const id = change.removed.id;
      this.buckets = this.buckets.map((owner) => (owner === id ? undefined : owner));
    }
    if (change.added) this.claimBuckets(change.added);
  }

  clone(): JumpAlgorithm {
    const copy = new JumpAlgorithm([]);
    copy.buckets = [...this.buckets];
    return copy;
  }

  /** Gives `node` one bucket per unit of weight: empty buckets first, then new ones at the end. */
  private claimBuckets(node: ShardNode): void {
    let needed = node.weight;
    this.buckets.forEach((owner, bucket) => {
      if (owner === undefined && needed > 0) {
        this.buckets[bucket] = node.id;
        needed--;
      }
    });
    for (; needed > 0; needed--) this.buckets.push(node.id);
  }
}
