// Where `rendezvous` puts keys, against the definition: node `id` scores key k with
// x = fmix32(murmur3(k) ^ murmur3(id, 0x5bd1e995)) (or, when weights differ, −weight / ln u with
// u = (x + ½) / 2^32); nodes rank by score, ties to the smaller id. Placement is a compatibility
// contract (a release that moved keys would strand data), so it is pinned exactly.
import { describe, expect, it } from 'vitest';
import { ConsistentHashSharder } from '../ConsistentHashSharder.js';
import { fmix32, murmur3 } from '../hashers.js';
import type { ShardKey, WeightedNodeInput } from '../ShardNode.js';

const keys: ShardKey[] = [
  ...Array.from({ length: 200 }, (_, i) => `key:${i}`),
  ...[0, 1, 42, -7, 2.5, '', 'ünïcödé'],
];

function referenceRanking(nodes: readonly WeightedNodeInput[], key: ShardKey): string[] {
  const weighted = nodes.some((node) => (node.weight ?? 1) !== (nodes[0]?.weight ?? 1));
  const hash = murmur3(String(key));
  const score = (node: WeightedNodeInput) => {
    const x = fmix32(hash ^ murmur3(node.id, 0x5bd1e995));
    return weighted ? -(node.weight ?? 1) / Math.log((x + 0.5) / 2 ** 32) : x;
  };
  return nodes
    .map((node) => ({ id: node.id, score: score(node) }))
    .sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1))
    .map((entry) => entry.id);
}

function expectReference(sharder: ConsistentHashSharder, nodes: readonly WeightedNodeInput[]) {
  for (const key of keys) {
    const ranking = referenceRanking(nodes, key);
    expect(sharder.getNode(key)).toBe(ranking[0]);
    for (let n = 1; n <= nodes.length; n++) expect(sharder.getNodes(key, n)).toEqual(ranking.slice(0, n));
    expect(sharder.position(key)).toBeUndefined();
  }
}

const sharder = (nodes: readonly WeightedNodeInput[]) =>
  new ConsistentHashSharder({ algorithm: 'rendezvous', nodes });

describe('rendezvous placement', () => {
  it.each([
    [[{ id: 'solo' }]],
    [[{ id: 'a' }, { id: 'b' }, { id: 'c' }, { id: 'd' }, { id: 'e' }]],
    [
      [
        { id: 'a', weight: 3 },
        { id: 'b', weight: 3 },
      ],
    ],
    [
      [
        { id: 'a', weight: 1 },
        { id: 'b', weight: 3 },
        { id: 'c', weight: 0.5 },
      ],
    ],
    [
      [
        { id: 'light', weight: 0.01 },
        { id: 'heavy', weight: 100 },
      ],
    ],
  ])('over %j ranks nodes as the reference does', (nodes) => {
    expectReference(sharder(nodes), nodes);
  });

  it('follows the reference through adds and removes, weighted or not', () => {
    const s = sharder([{ id: 'a' }, { id: 'b' }]);
    s.addNode({ id: 'c', weight: 2 });
    expectReference(s, [{ id: 'a' }, { id: 'b' }, { id: 'c', weight: 2 }]);
    s.removeNode('c');
    expectReference(s, [{ id: 'a' }, { id: 'b' }]);
    s.removeNode('a');
    s.addNode({ id: 'd', weight: 2 });
    expectReference(s, [{ id: 'b' }, { id: 'd', weight: 2 }]);
  });

  it('breaks equal scores in favour of the smaller id, weighted or not', () => {
    // murmur3('r52837', seed) === murmur3('r139225', seed) for the node seed (a birthday search):
    // the two score every key alike, so 'r139225' always ranks just above 'r52837'.
    expect(murmur3('r52837', 0x5bd1e995)).toBe(murmur3('r139225', 0x5bd1e995));
    const sets = [
      [{ id: 'r52837' }, { id: 'r139225' }],
      [{ id: 'r52837' }, { id: 'r139225' }, { id: 'z' }],
      [{ id: 'r52837', weight: 2 }, { id: 'r139225', weight: 2 }, { id: 'z' }],
      [
        { id: 'z', weight: 3 },
        { id: 'r52837', weight: 2 },
        { id: 'r139225', weight: 2 },
      ],
    ];
    // In either order: the smaller id wins ties whether it is scored first or last.
    for (const nodes of [...sets, ...sets.map((set) => [...set].reverse())]) {
      const s = sharder(nodes);
      for (const key of keys) {
        const ranking = s.getNodes(key, nodes.length);
        expect(ranking.indexOf('r139225')).toBe(ranking.indexOf('r52837') - 1);
        expect(s.getNode(key)).not.toBe('r52837');
        expect(ranking).toEqual(referenceRanking(nodes, key));
      }
    }
  });
});
