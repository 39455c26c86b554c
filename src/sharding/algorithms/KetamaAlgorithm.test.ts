// Where `ketama` puts keys, against a continuum built with node:crypto's MD5: 40 digests per
// server at equal weights (up to 24 servers), point names `<prefix>-<i>` with the prefix each
// client uses, 4 little-endian points per digest, a key at the first MD5 word of its decimal or
// string form, owned by the first point at or after it (ties to the server listed first).
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConsistentHashSharder } from '../ConsistentHashSharder.js';
import type { ShardKey } from '../ShardNode.js';
import type { KetamaPointFormat } from './KetamaAlgorithm.js';

const keys: ShardKey[] = [
  ...Array.from({ length: 300 }, (_, i) => `key:${i}`),
  ...[0, 42, -7, 2.5, '', 'ünïcödé'],
];
const md5 = (text: string) => createHash('md5').update(text, 'utf8').digest();
const keyHash = (key: ShardKey) => md5(String(key)).readUInt32LE(0);

/** Servers as [id, point-name prefix]; every one gets 40 digests. */
function referenceContinuum(servers: readonly (readonly [string, string])[]) {
  const points = servers
    .flatMap(([id, prefix], order) =>
      Array.from({ length: 40 }, (_, i) => md5(`${prefix}-${i}`)).flatMap((digest) =>
        [0, 4, 8, 12].map((offset) => ({ point: digest.readUInt32LE(offset), id, order })),
      ),
    )
    .sort((a, b) => a.point - b.point || a.order - b.order);
  const start = (key: ShardKey) => {
    const hash = keyHash(key);
    const at = points.findIndex((entry) => entry.point >= hash);
    return at === -1 ? 0 : at;
  };
  return {
    getNode: (key: ShardKey) => points[start(key)]?.id,
    getNodes: (key: ShardKey, n: number) => {
      const found: string[] = [];
      const first = start(key);
      for (let step = 0; found.length < n; step++) {
        const id = points[(first + step) % points.length]?.id as string;
        if (!found.includes(id)) found.push(id);
      }
      return found;
    },
  };
}

function expectContinuum(sharder: ConsistentHashSharder, servers: readonly (readonly [string, string])[]) {
  const reference = referenceContinuum(servers);
  // A point's own name hashes exactly onto the point (word 0 of its digest).
  const onPoints = servers.flatMap(([, prefix]) => [`${prefix}-0`, `${prefix}-39`]);
  for (const key of [...keys, ...onPoints]) {
    expect(sharder.position(key)).toBe(keyHash(key));
    expect(sharder.getNode(key)).toBe(reference.getNode(key));
    expect(sharder.getNodes(key, servers.length)).toEqual(reference.getNodes(key, servers.length));
  }
}

const ketama = (nodes: string[], pointFormat?: KetamaPointFormat, defaultPort?: number) =>
  new ConsistentHashSharder({
    algorithm: 'ketama',
    nodes,
    ...(pointFormat ? { pointFormat } : {}),
    ...(defaultPort !== undefined ? { defaultPort } : {}),
  });

describe('ketama placement', () => {
  const ids = ['10.0.0.1:11211', '10.0.0.2:11212', 'cache-3'];

  it('names points host:port-i for libketama and twemproxy, /host:port-i for spymemcached', () => {
    const verbatim = ids.map((id) => [id, id] as const);
    expectContinuum(ketama(ids, 'libketama'), verbatim);
    expectContinuum(ketama(ids, 'twemproxy'), verbatim);
    expectContinuum(
      ketama(ids, 'spymemcached'),
      ids.map((id) => [id, `/${id}`] as const),
    );
  });

  it('leaves the default port out of libmemcached point names, 11211 unless told otherwise', () => {
    const elided = [
      ['10.0.0.1:11211', '10.0.0.1'],
      ['10.0.0.2:11212', '10.0.0.2:11212'],
      ['cache-3', 'cache-3'],
      ['::1:11211', '::1'],
      ['11211', '11211'], // no host: a name without a colon is kept whole
    ] as const;
    expectContinuum(ketama(elided.map(([id]) => id)), elided);
    expectContinuum(
      ketama(
        elided.map(([id]) => id),
        'libmemcached',
      ),
      elided,
    );
    const other = [
      ['10.0.0.1:11211', '10.0.0.1:11211'],
      ['10.0.0.2:11212', '10.0.0.2'],
      ['cache-3', 'cache-3'],
    ] as const;
    expectContinuum(
      ketama(
        other.map(([id]) => id),
        'libmemcached',
        11212,
      ),
      other,
    );
  });

  it('rebuilds the continuum of the current servers after adds and removes', () => {
    const sharder = ketama(['a:1', 'b:1'], 'libketama');
    sharder.addNode('c:1');
    expectContinuum(sharder, [
      ['a:1', 'a:1'],
      ['b:1', 'b:1'],
      ['c:1', 'c:1'],
    ]);
    sharder.removeNode('a:1');
    expectContinuum(sharder, [
      ['b:1', 'b:1'],
      ['c:1', 'c:1'],
    ]);
  });

  it('lists servers that own no point last, in the order they were given', () => {
    const sharder = new ConsistentHashSharder({
      algorithm: 'ketama',
      nodes: [
        { id: 'big', weight: 1000 },
        { id: 'tiny-2', weight: 1 },
        { id: 'tiny-1', weight: 1 },
      ],
    });
    for (const key of keys.slice(0, 50)) {
      expect(sharder.getNodes(key, 3)).toEqual(['big', 'tiny-2', 'tiny-1']);
      expect(sharder.getNodes(key, 2)).toEqual(['big', 'tiny-2']);
    }
  });
});
