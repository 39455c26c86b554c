// The sharder's options and arguments: what is accepted, and the exact error for what is not.
import { describe, expect, it } from 'vitest';
import { expectInvalidOption } from '../../test/helpers/expectInvalidOption.js';
import { NoTargetError } from '../core/errors/index.js';
import type { ShardAlgorithmName } from './algorithms/ShardAlgorithm.js';
import { ConsistentHashSharder } from './ConsistentHashSharder.js';

const sharder = (options: object) => new ConsistentHashSharder(options as never);

describe('ConsistentHashSharder options', () => {
  it.each([
    ['ring', 'tableSize', 'nodes, algorithm, vnodes'],
    ['ketama', 'vnodes', 'nodes, algorithm, pointFormat, defaultPort'],
    ['jump', 'vnodes', 'nodes, algorithm'],
    ['rendezvous', 'pointFormat', 'nodes, algorithm'],
    ['maglev', 'defaultPort', 'nodes, algorithm, tableSize'],
  ] as const)(
    'refuses an option %s does not have (%s), listing the ones it does',
    (algorithm, foreign, own) => {
      expectInvalidOption(
        () => sharder({ algorithm, nodes: ['a'], [foreign]: 1 }),
        `options.${foreign}`,
        `absent: it is not an option of the "${algorithm}" algorithm (its options: ${own})`,
      );
    },
  );

  it('accepts each algorithm with its own options', () => {
    expect(sharder({ nodes: ['a'], vnodes: 65536 }).algorithm).toBe('ring');
    expect(sharder({ algorithm: 'ring', nodes: ['a'], vnodes: 1 }).getNode('k')).toBe('a');
    expect(
      sharder({ algorithm: 'ketama', nodes: ['a'], pointFormat: 'spymemcached', defaultPort: 0 }).size,
    ).toBe(1);
    expect(sharder({ algorithm: 'ketama', nodes: ['a'], defaultPort: 65535 }).algorithm).toBe('ketama');
    for (const tableSize of [3, 5, 7, 11, 65537]) {
      expect(sharder({ algorithm: 'maglev', nodes: ['a', 'b'], tableSize }).getNodes('k', 2)).toHaveLength(2);
    }
  });

  it.each([
    ['no options object', null, 'options', 'an object with a `nodes` array'],
    ['a string for options', 'a', 'options', 'an object with a `nodes` array'],
    [
      'an unknown algorithm',
      { algorithm: 'md5', nodes: ['a'] },
      'options.algorithm',
      'one of "ring", "ketama", "jump", "rendezvous", "maglev"',
    ],
    ['no nodes', { nodes: undefined }, 'options.nodes', 'a non-empty array of node ids or { id, weight }'],
    ['an empty node list', { nodes: [] }, 'options.nodes', 'a non-empty array of node ids or { id, weight }'],
    ['a null node', { nodes: [null] }, 'options.nodes[0].id', 'a non-empty string'],
    ['a number node', { nodes: [5] }, 'options.nodes[0].id', 'a non-empty string'],
    ['an empty object id', { nodes: ['a', { id: '' }] }, 'options.nodes[1].id', 'a non-empty string'],
    [
      'a duplicate object id',
      { nodes: ['a', { id: 'a' }] },
      'options.nodes[1].id',
      'an id not already in the sharder',
    ],
    [
      'a negative weight',
      { nodes: [{ id: 'a', weight: -1 }] },
      'options.nodes[0].weight',
      'a finite number > 0',
    ],
    [
      'an infinite weight',
      { nodes: [{ id: 'a', weight: Infinity }] },
      'options.nodes[0].weight',
      'a finite number > 0',
    ],
    [
      'a string weight',
      { nodes: [{ id: 'a', weight: '2' }] },
      'options.nodes[0].weight',
      'a finite number > 0',
    ],
    [
      'a zero jump weight',
      { algorithm: 'jump', nodes: [{ id: 'a', weight: 0 }] },
      'options.nodes[0].weight',
      'an integer from 1 to 1000000',
    ],
    ['too many vnodes', { nodes: ['a'], vnodes: 65537 }, 'options.vnodes', 'an integer from 1 to 65536'],
    ['fractional vnodes', { nodes: ['a'], vnodes: 1.5 }, 'options.vnodes', 'an integer from 1 to 65536'],
    [
      'a negative port',
      { algorithm: 'ketama', nodes: ['a'], defaultPort: -1 },
      'options.defaultPort',
      'an integer from 0 to 65535',
    ],
    [
      'an unknown point format',
      { algorithm: 'ketama', nodes: ['a'], pointFormat: 'memcached' },
      'options.pointFormat',
      'one of "libmemcached", "libketama", "twemproxy", "spymemcached"',
    ],
    [
      'a table of 2',
      { algorithm: 'maglev', nodes: ['a'], tableSize: 2 },
      'options.tableSize',
      'an integer from 3 to 16777259',
    ],
    [
      'a table too big',
      { algorithm: 'maglev', nodes: ['a'], tableSize: 16777260 },
      'options.tableSize',
      'an integer from 3 to 16777259',
    ],
    [
      'a square table',
      { algorithm: 'maglev', nodes: ['a'], tableSize: 9 },
      'options.tableSize',
      'a prime number',
    ],
    [
      'a square table of 25',
      { algorithm: 'maglev', nodes: ['a'], tableSize: 25 },
      'options.tableSize',
      'a prime number',
    ],
    [
      'a table of 4',
      { algorithm: 'maglev', nodes: ['a'], tableSize: 4 },
      'options.tableSize',
      'a prime number',
    ],
    [
      'as many maglev nodes as slots',
      { algorithm: 'maglev', nodes: ['a', 'b', 'c', 'd', 'e'], tableSize: 5 },
      'options.nodes[4]',
      'a node beyond the limit of 4 (tableSize − 1)',
    ],
  ])('refuses %s', (_name, options, option, expected) =>
    expectInvalidOption(() => sharder(options as object), option, expected),
  );
});

describe('ConsistentHashSharder methods', () => {
  it('reports its nodes, in the order they were added, with their weights', () => {
    const s = sharder({ nodes: ['a', { id: 'b', weight: 2.5 }, { id: 'c' }] });
    expect(s.nodes).toEqual([
      { id: 'a', weight: 1 },
      { id: 'b', weight: 2.5 },
      { id: 'c', weight: 1 },
    ]);
    expect(s.size).toBe(3);
    expect(s.hasNode('b')).toBe(true);
    expect(s.hasNode('z')).toBe(false);
    s.removeNode('a');
    s.addNode({ id: 'a', weight: 3 });
    expect(s.nodes.map((node) => node.id)).toEqual(['b', 'c', 'a']);
    expect(s.hasNode('a')).toBe(true);
    expect(s.size).toBe(3);
  });

  it.each(['ring', 'ketama', 'jump', 'rendezvous', 'maglev'] as ShardAlgorithmName[])(
    'validates keys, n and node changes the same way (%s)',
    (algorithm) => {
      const s = sharder({
        algorithm,
        nodes: ['a', 'b'],
        ...(algorithm === 'maglev' ? { tableSize: 5 } : {}),
      });
      for (const key of [{}, null, undefined, Number.NaN, Number.NEGATIVE_INFINITY, true]) {
        expectInvalidOption(() => s.getNode(key as never), 'key', 'a string or a finite number');
        expectInvalidOption(() => s.getNodes(key as never, 1), 'key', 'a string or a finite number');
        expectInvalidOption(() => s.position(key as never), 'key', 'a string or a finite number');
      }
      expectInvalidOption(() => s.getNodes('k', 1.5), 'n', 'an integer from 1 to 2');
      expectInvalidOption(() => s.addNode(null as never), 'node.id', 'a non-empty string');
      expectInvalidOption(() => s.addNode(''), 'node', 'a non-empty string');
      expectInvalidOption(() => s.addNode({ id: 'b' }), 'node.id', 'an id not already in the sharder');
      expectInvalidOption(
        () => s.addNode({ id: 'c', weight: 0 }),
        'node.weight',
        algorithm === 'jump' ? 'an integer from 1 to 1000000' : 'a finite number > 0',
      );
      expectInvalidOption(() => s.removeNode('z'), 'id', 'the id of a node in the sharder');
      expect(s.size).toBe(2);
      s.removeNode('a');
      s.removeNode('b');
      expect(() => s.getNodes('k', 1)).toThrow(NoTargetError);
      expectInvalidOption(() => s.getNodes({} as never, 1), 'key', 'a string or a finite number');
    },
  );

  it('refuses a maglev node beyond tableSize − 1 when adding', () => {
    const s = sharder({ algorithm: 'maglev', nodes: ['a', 'b'], tableSize: 3 });
    expectInvalidOption(() => s.addNode('c'), 'node', 'a node beyond the limit of 2 (tableSize − 1)');
    s.removeNode('a');
    s.addNode('c');
    expect(s.nodes.map((node) => node.id)).toEqual(['b', 'c']);
  });
});
