// Where `ring` puts keys, against a from-the-definition ring: point i of node `id` at
// murmur3(`${id}-${i}`), round(vnodes × weight) points (at least one), a key owned by the first
// point at or after murmur3(key), equal points to the smaller id. Placement is a compatibility
// contract (a release that moved keys would strand data), so it is pinned exactly.
import { describe, expect, it } from 'vitest';
import { ConsistentHashSharder } from '../ConsistentHashSharder.js';
import { murmur3 } from '../hashers.js';
import type { ShardKey, WeightedNodeInput } from '../ShardNode.js';

const keys: ShardKey[] = [
  ...Array.from({ length: 300 }, (_, i) => `key:${i}`),
  ...[0, 1, 42, -7, 2.5, 1e21, '', 'ünïcödé', '\u{1f600}'],
];

function referenceRing(nodes: readonly WeightedNodeInput[], vnodes: number) {
  const points = nodes
    .flatMap((node) =>
      Array.from({ length: Math.max(1, Math.round(vnodes * (node.weight ?? 1))) }, (_, i) => ({
        point: murmur3(`${node.id}-${i}`),
        id: node.id,
      })),
    )
    .sort((a, b) => a.point - b.point || (a.id < b.id ? -1 : 1));
  const ownerIndex = (key: ShardKey) => {
    const hash = murmur3(String(key));
    const at = points.findIndex((entry) => entry.point >= hash);
    return at === -1 ? 0 : at;
  };
  return {
    points,
    getNode: (key: ShardKey) => points[ownerIndex(key)]?.id,
    getNodes: (key: ShardKey, n: number) => {
      const found: string[] = [];
      const start = ownerIndex(key);
      for (let step = 0; found.length < n; step++) {
        const id = points[(start + step) % points.length]?.id as string;
        if (!found.includes(id)) found.push(id);
      }
      return found;
    },
  };
}

function expectReference(
  sharder: ConsistentHashSharder,
  nodes: readonly WeightedNodeInput[],
  vnodes: number,
) {
  const reference = referenceRing(nodes, vnodes);
  // A key named like a point hashes exactly onto it, and belongs to that point's node.
  const onPoints = nodes.flatMap((node) => [`${node.id}-0`, `${node.id}-${vnodes - 1}`]);
  for (const key of [...keys, ...onPoints]) {
    expect(sharder.getNode(key)).toBe(reference.getNode(key));
    expect(sharder.getNodes(key, sharder.size)).toEqual(reference.getNodes(key, sharder.size));
    expect(sharder.position(key)).toBe(murmur3(String(key)));
  }
}

describe('ring placement', () => {
  it.each([
    [1, [{ id: 'solo' }]],
    [1, [{ id: 'a' }, { id: 'b' }]],
    [7, [{ id: 'a' }, { id: 'b' }, { id: 'c' }]],
    [
      40,
      [
        { id: 'a', weight: 0.5 },
        { id: 'b', weight: 2.26 },
        { id: 'c', weight: 0.001 },
      ],
    ],
    [300, [{ id: 'n-1' }, { id: 'n-2' }, { id: 'n-3' }, { id: 'n-4' }, { id: 'n-5' }]],
  ])('with %i vnodes over %j equals the reference ring', (vnodes, nodes) => {
    expectReference(new ConsistentHashSharder({ nodes, vnodes }), nodes, vnodes);
  });

  it('gives a key that hashes exactly onto a point to that point', () => {
    const sharder = new ConsistentHashSharder({ nodes: ['a', 'b', 'c', 'd'], vnodes: 50 });
    for (const id of ['a', 'b', 'c', 'd']) {
      for (let i = 0; i < 50; i++) expect(sharder.getNode(`${id}-${i}`)).toBe(id);
    }
  });

  it('uses 2048 vnodes by default', () => {
    const nodes = [{ id: 'x' }, { id: 'y' }, { id: 'z', weight: 1.5 }];
    expectReference(new ConsistentHashSharder({ nodes }), nodes, 2048);
  });

  it('equals the reference ring of the current nodes after adds and removes', () => {
    const sharder = new ConsistentHashSharder({ nodes: ['a', 'b', 'c'], vnodes: 16 });
    sharder.addNode({ id: 'd', weight: 2 });
    expectReference(sharder, [{ id: 'a' }, { id: 'b' }, { id: 'c' }, { id: 'd', weight: 2 }], 16);
    sharder.removeNode('b');
    expectReference(sharder, [{ id: 'a' }, { id: 'c' }, { id: 'd', weight: 2 }], 16);
    sharder.addNode('b');
    sharder.removeNode('a');
    sharder.removeNode('d');
    expectReference(sharder, [{ id: 'b' }, { id: 'c' }], 16);
    sharder.removeNode('c');
    expectReference(sharder, [{ id: 'b' }], 16);
  });

  it('gives equal points to the smaller id, however the nodes were added', () => {
    // murmur3('n86167-0') === murmur3('n115679-0') (found by a birthday search): with one point
    // each, both nodes sit on the same spot and the smaller id, 'n115679', owns the whole ring.
    expect(murmur3('n86167-0')).toBe(murmur3('n115679-0'));
    const orders = [
      new ConsistentHashSharder({ nodes: ['n86167', 'n115679'], vnodes: 1 }),
      new ConsistentHashSharder({ nodes: ['n115679', 'n86167'], vnodes: 1 }),
    ];
    const grownUp = new ConsistentHashSharder({ nodes: ['n86167'], vnodes: 1 });
    grownUp.addNode('n115679');
    const grownDown = new ConsistentHashSharder({ nodes: ['n115679'], vnodes: 1 });
    grownDown.addNode('n86167');
    for (const sharder of [...orders, grownUp, grownDown]) {
      for (const key of keys) {
        expect(sharder.getNode(key)).toBe('n115679');
        expect(sharder.getNodes(key, 2)).toEqual(['n115679', 'n86167']);
      }
    }
  });
});
