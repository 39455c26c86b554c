// Where `jump` puts keys, against the definition: a node of weight w owns w buckets, a removed
// node's buckets go empty and an added node fills empty buckets (in order) before new ones are
// appended; a key's 64-bit value (a non-negative safe integer as it is, anything else
// murmur3(k, 0x9747b28c)·2^32 + murmur3(k)) is jump-hashed to a bucket, and re-hashed while it
// lands in an empty one. Placement is a compatibility contract, so it is pinned exactly.
import { describe, expect, it } from 'vitest';
import { ConsistentHashSharder } from '../ConsistentHashSharder.js';
import { fmix32, murmur3 } from '../hashers.js';
import { jumpHash } from '../jumpHash.js';
import type { ShardKey } from '../ShardNode.js';

type Buckets = readonly (string | undefined)[];

const keys: ShardKey[] = [
  ...Array.from({ length: 150 }, (_, i) => `key:${i}`),
  ...Array.from({ length: 50 }, (_, i) => i * 7919),
  ...[-7, 2.5, 2 ** 32, 2 ** 32 + 5, 2 ** 53 - 1, 2 ** 53, 1e21, '', 'ünïcödé'],
];

const hashWords = (key: ShardKey): [number, number] => [
  murmur3(String(key), 0x9747b28c),
  murmur3(String(key)),
];
const bucketOf = (buckets: Buckets, hi: number, lo: number) =>
  buckets[jumpHash((BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0), buckets.length)];

function referenceOwner(buckets: Buckets, key: ShardKey): string {
  let [hi, lo] =
    typeof key === 'number' && Number.isSafeInteger(key) && key >= 0
      ? [Math.floor(key / 2 ** 32), key % 2 ** 32]
      : hashWords(key);
  let owner = bucketOf(buckets, hi, lo);
  for (let attempt = 1; owner === undefined; attempt++) {
    lo = fmix32(lo ^ Math.imul(attempt, 0x9e3779b9));
    hi = fmix32(hi ^ lo);
    owner = bucketOf(buckets, hi, lo);
  }
  return owner;
}

/** The owner, then owners along the key's replica probe sequence, then any left in bucket order. */
function referenceReplicas(buckets: Buckets, key: ShardKey, n: number): string[] {
  const found = [referenceOwner(buckets, key)];
  let [hi, lo] = hashWords(key);
  for (let attempt = 1; found.length < n && attempt <= 32 * buckets.length; attempt++) {
    lo = fmix32(lo ^ Math.imul(attempt, 0x85ebca6b));
    hi = fmix32(hi ^ lo);
    const owner = bucketOf(buckets, hi, lo);
    if (owner !== undefined && !found.includes(owner)) found.push(owner);
  }
  for (const owner of buckets)
    if (found.length < n && owner !== undefined && !found.includes(owner)) found.push(owner);
  return found;
}

function expectBuckets(sharder: ConsistentHashSharder, buckets: Buckets) {
  for (const key of keys) {
    expect(sharder.getNode(key)).toBe(referenceOwner(buckets, key));
    for (let n = 1; n <= sharder.size; n++)
      expect(sharder.getNodes(key, n)).toEqual(referenceReplicas(buckets, key, n));
    expect(sharder.position(key)).toBeUndefined();
  }
}

describe('jump placement', () => {
  it('lays out weight-many buckets per node, reuses emptied ones first, and places keys as the reference', () => {
    const sharder = new ConsistentHashSharder({
      algorithm: 'jump',
      nodes: ['a', { id: 'b', weight: 2 }, 'c'],
    });
    expectBuckets(sharder, ['a', 'b', 'b', 'c']);
    sharder.removeNode('b');
    expectBuckets(sharder, ['a', undefined, undefined, 'c']);
    sharder.addNode('d');
    expectBuckets(sharder, ['a', 'd', undefined, 'c']);
    sharder.addNode({ id: 'e', weight: 3 });
    expectBuckets(sharder, ['a', 'd', 'e', 'c', 'e', 'e']);
    sharder.removeNode('a');
    sharder.removeNode('e');
    expectBuckets(sharder, [undefined, 'd', undefined, 'c', undefined, undefined]);
  });

  it('finds the last live bucket among many empty ones', () => {
    const nodes = Array.from({ length: 40 }, (_, i) => `n${i}`);
    const sharder = new ConsistentHashSharder({ algorithm: 'jump', nodes });
    for (const id of nodes.slice(1, 38)) sharder.removeNode(id);
    expectBuckets(
      sharder,
      nodes.map((id, i) => (i === 0 || i >= 38 ? id : undefined)),
    );
  });

  it('names every node as a replica, the rare ones last in bucket order', () => {
    const sharder = new ConsistentHashSharder({
      algorithm: 'jump',
      nodes: [{ id: 'big', weight: 500 }, 'small-1', 'small-2'],
    });
    const buckets = [...Array(500).fill('big'), 'small-1', 'small-2'];
    for (const key of keys.slice(0, 40)) {
      expect(sharder.getNodes(key, 3)).toEqual(referenceReplicas(buckets, key, 3));
      expect(new Set(sharder.getNodes(key, 3))).toEqual(new Set(['big', 'small-1', 'small-2']));
    }
  });
});
