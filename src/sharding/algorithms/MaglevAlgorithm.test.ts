// Where `maglev` puts keys, against a from-the-definition table: nodes in id order take turns
// (Envoy's weighted turns: node i's turn comes when iteration × weight reaches its target, which
// then rises by the largest weight) claiming their next free preferred slot, the j-th preference
// being (offset + j^e · skip) mod M with offset = murmur3(id, 0xb0f57ee3) mod M,
// skip = murmur3(id, 0x2f9be6cc) mod (M − 1) + 1 and e the smallest odd exponent ≥ 3 prime to
// M − 1; a key reads slot murmur3(key) mod M. Placement is a compatibility contract, so it is
// pinned exactly.
import { describe, expect, it } from 'vitest';
import { ConsistentHashSharder } from '../ConsistentHashSharder.js';
import { murmur3 } from '../hashers.js';
import type { ShardKey, WeightedNodeInput } from '../ShardNode.js';

const keys: ShardKey[] = [
  ...Array.from({ length: 300 }, (_, i) => `key:${i}`),
  ...[0, 1, 42, -7, 2.5, '', 'ünïcödé'],
];

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

function referenceTable(nodes: readonly WeightedNodeInput[], size: number): string[] {
  const sorted = [...nodes].sort((a, b) => (a.id < b.id ? -1 : 1));
  let exponent = 3;
  while (gcd(exponent, size - 1) !== 1) exponent += 2;
  const offsets = sorted.map((node) => BigInt(murmur3(node.id, 0xb0f57ee3) % size));
  const skips = sorted.map((node) => BigInt((murmur3(node.id, 0x2f9be6cc) % (size - 1)) + 1));
  const preference = (i: number, j: number) =>
    Number(((offsets[i] as bigint) + BigInt(j) ** BigInt(exponent) * (skips[i] as bigint)) % BigInt(size));
  const table: string[] = [];
  const next = sorted.map(() => 0);
  const targets = sorted.map(() => 0);
  const maxWeight = Math.max(...sorted.map((node) => node.weight ?? 1));
  let filled = 0;
  for (let iteration = 1; filled < size; iteration++) {
    sorted.forEach((node, i) => {
      if (filled === size || iteration * (node.weight ?? 1) < (targets[i] as number)) return;
      targets[i] = (targets[i] as number) + maxWeight;
      let slot = preference(i, next[i] as number);
      while (table[slot] !== undefined) {
        next[i] = (next[i] as number) + 1;
        slot = preference(i, next[i] as number);
      }
      next[i] = (next[i] as number) + 1;
      table[slot] = node.id;
      filled++;
    });
  }
  return table;
}

function expectTable(sharder: ConsistentHashSharder, nodes: readonly WeightedNodeInput[], size: number) {
  const table = referenceTable(nodes, size);
  for (const key of keys) {
    const slot = murmur3(String(key)) % size;
    expect(sharder.position(key)).toBe(slot);
    expect(sharder.getNode(key)).toBe(table[slot]);
    const replicas: string[] = [];
    for (let step = 0; replicas.length < sharder.size; step++) {
      const id = table[(slot + step) % size] as string;
      if (!replicas.includes(id)) replicas.push(id);
    }
    expect(sharder.getNodes(key, sharder.size)).toEqual(replicas);
    expect(sharder.getNodes(key, 1)).toEqual([table[slot]]);
  }
}

const maglev = (nodes: readonly WeightedNodeInput[], tableSize?: number) =>
  new ConsistentHashSharder({ algorithm: 'maglev', nodes, ...(tableSize ? { tableSize } : {}) });

describe('maglev placement', () => {
  it.each([
    [3, [{ id: 'a' }, { id: 'b' }]],
    [7, [{ id: 'b' }, { id: 'a' }, { id: 'c' }]],
    [13, [{ id: 'a' }, { id: 'b' }, { id: 'c' }]],
    [
      31,
      [
        { id: 'x', weight: 1 },
        { id: 'y', weight: 3 },
        { id: 'z', weight: 2 },
      ],
    ],
    [101, [{ id: 'a', weight: 0.5 }, { id: 'b', weight: 2.5 }, { id: 'c' }, { id: 'd' }]],
    [1009, [{ id: 'n1' }, { id: 'n2' }, { id: 'n3' }, { id: 'n4' }, { id: 'n5', weight: 4 }]],
  ])('with a table of %i over %j equals the reference table', (size, nodes) => {
    expectTable(maglev(nodes, size), nodes, size);
  });

  it('uses a table of 65537 slots by default', () => {
    const nodes = [{ id: 'x' }, { id: 'y' }, { id: 'z' }];
    expectTable(maglev(nodes), nodes, 65537);
  });

  it('rebuilds the reference table of the current nodes after adds and removes', () => {
    const sharder = maglev([{ id: 'a' }, { id: 'b' }], 97);
    sharder.addNode({ id: 'c', weight: 2 });
    expectTable(sharder, [{ id: 'a' }, { id: 'b' }, { id: 'c', weight: 2 }], 97);
    sharder.removeNode('a');
    expectTable(sharder, [{ id: 'b' }, { id: 'c', weight: 2 }], 97);
    sharder.removeNode('b');
    expectTable(sharder, [{ id: 'c', weight: 2 }], 97);
  });

  it('gives every node a slot, however light, so n replicas are always n nodes', () => {
    const nodes = [
      { id: 'feather', weight: 0.000001 },
      { id: 'anvil', weight: 1_000_000 },
      { id: 'brick', weight: 1_000 },
    ];
    const sharder = maglev(nodes, 13);
    expectTable(sharder, nodes, 13);
    for (const key of ['a', 'b', 'c', 'd', 'e']) {
      expect(sharder.getNodes(key, 3).sort()).toEqual(['anvil', 'brick', 'feather']);
    }
  });

  it('fills a table with as many nodes as it allows (tableSize − 1)', () => {
    const nodes = Array.from({ length: 12 }, (_, i) => ({ id: `node-${i}` }));
    expectTable(maglev(nodes, 13), nodes, 13);
  });
});
