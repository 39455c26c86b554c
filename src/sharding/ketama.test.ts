// Ketama compatibility: the mappings the memcached clients themselves produce (fixtures in
// test/fixtures/ketama, see its README) and the ones measured from hashring in the anchors.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { KetamaAlgorithm } from './algorithms/KetamaAlgorithm.js';
import { ConsistentHashSharder } from './ConsistentHashSharder.js';

const fixtures = new URL('../../test/fixtures/ketama/', import.meta.url);
const lines = (name: string) =>
  gunzipSync(readFileSync(new URL(name, fixtures)))
    .toString('utf8')
    .split('\n');

const weighted = (weights: Record<string, number>) =>
  Object.entries(weights).map(([id, weight]) => ({ id, weight }));
const libmemcachedServers = weighted({
  '10.0.1.1:11211': 600,
  '10.0.1.2:11211': 300,
  '10.0.1.3:11211': 200,
  '10.0.1.4:11211': 350,
  '10.0.1.5:11211': 1000,
  '10.0.1.6:11211': 800,
  '10.0.1.7:11211': 950,
  '10.0.1.8:11211': 100,
});

describe('ketama compatibility', () => {
  it('maps 100,000 keys exactly as python-ketama (libketama) does', () => {
    const expected = lines('ketama.txt.gz');
    const sharder = new ConsistentHashSharder({
      algorithm: 'ketama',
      pointFormat: 'libketama',
      nodes: weighted({ '0.0.0.1': 1, '0.0.0.2': 2, '0.0.0.3': 3, '0.0.0.4': 4, '0.0.0.5': 5 }),
    });
    let mismatches = 0;
    for (let key = 0; key < 100_000; key++)
      if (`${key} ${sharder.getNode(key)}` !== expected[key]) mismatches++;
    expect(mismatches).toBe(0);
  });

  it('maps 100,000 keys exactly as pylibmc (libmemcached, ketama_weighted) does, default port elided', () => {
    const expected = lines('pylibmc.txt.gz');
    const sharder = new ConsistentHashSharder({
      algorithm: 'ketama',
      nodes: ['0.0.0.1:11211', '0.0.0.2:11211', '0.0.0.3', '0.0.0.4:11213', '0.0.0.5:11212'],
    });
    let mismatches = 0;
    for (let key = 0; key < 100_000; key++)
      if (`${key} ${sharder.getNode(key)}` !== expected[key]) mismatches++;
    expect(mismatches).toBe(0);
  });

  it("reproduces libmemcached's own ketama test cases: key hash, continuum point and server", () => {
    const cases = JSON.parse(readFileSync(new URL('libmemcached.json', fixtures), 'utf8')) as [
      string,
      number,
      number,
      string,
    ][];
    expect(cases).toHaveLength(99);
    const sharder = new ConsistentHashSharder({ algorithm: 'ketama', nodes: libmemcachedServers });
    const engine = new KetamaAlgorithm('libmemcached', 11211, libmemcachedServers);
    const continuum = (engine as unknown as { continuum: { points: Uint32Array } }).continuum;
    for (const [key, hash, point, server] of cases) {
      expect(sharder.position(key)).toBe(hash);
      expect(continuum.points[engine.position(key, true)]).toBe(point);
      expect(sharder.getNode(key)).toBe(`${server}:11211`);
    }
  });

  it('wraps a key hashed past the last point to the first point', () => {
    // From libmemcached's tests: "VDEAAAAA hashes to fffcd1b5, after the last continuum point".
    const engine = new KetamaAlgorithm('libmemcached', 11211, libmemcachedServers);
    expect(engine.position('VDEAAAAA')).toBe(0xfffcd1b5);
    expect(engine.position('VDEAAAAA', true)).toBe(0);
  });

  const threeServers = ['10.0.0.1:11211', '10.0.0.2:11211', '10.0.0.3:11211'];
  const keys = Array.from({ length: 20 }, (_, i) => `key-${i}`);

  it('keeps the port in point names for libketama, as hashring does by default', () => {
    // Measured from hashring 3.2.0 (anchors: caches-queues-pools-rings.md §2.4).
    const expected = [2, 1, 1, 2, 2, 3, 2, 3, 3, 1, 1, 1, 2, 2, 2, 1, 2, 2, 3, 2];
    const sharder = new ConsistentHashSharder({
      algorithm: 'ketama',
      pointFormat: 'libketama',
      nodes: threeServers,
    });
    expect(keys.map((key) => sharder.getNode(key))).toEqual(expected.map((n) => `10.0.0.${n}:11211`));
    expect(keys.slice(0, 3).map((key) => sharder.position(key))).toEqual([
      2123055796, 2339090209, 2354236092,
    ]);
  });

  it('drops the default port from point names for libmemcached, as hashring does with "default port"', () => {
    const expected = [3, 2, 1, 2, 2, 1, 1, 1, 2, 3, 2, 1, 1, 1, 3, 2, 3, 3, 1, 2];
    const sharder = new ConsistentHashSharder({ algorithm: 'ketama', nodes: threeServers });
    expect(keys.map((key) => sharder.getNode(key))).toEqual(expected.map((n) => `10.0.0.${n}:11211`));
  });

  it('names points per client: twemproxy like libketama, spymemcached with a leading slash', () => {
    const prefix = (format: 'libmemcached' | 'libketama' | 'twemproxy' | 'spymemcached') =>
      (
        new KetamaAlgorithm(format, 11211, []) as unknown as { pointPrefix(id: string): string }
      ).pointPrefix.bind(new KetamaAlgorithm(format, 11211, []));
    expect(prefix('libmemcached')('cache-1:11211')).toBe('cache-1');
    expect(prefix('libmemcached')('cache-1:11212')).toBe('cache-1:11212');
    expect(prefix('libmemcached')('cache-1')).toBe('cache-1');
    expect(prefix('libketama')('cache-1:11211')).toBe('cache-1:11211');
    expect(prefix('twemproxy')('cache-1:11211')).toBe('cache-1:11211');
    expect(prefix('spymemcached')('cache-1:11211')).toBe('/cache-1:11211');
  });

  it('computes points per server in 32-bit floats, as libmemcached and libketama do', () => {
    // At equal weight a server gets 40 digests (160 points), except where float32 rounding of
    // 1/n makes libmemcached's product fall just under 40: those server counts get 39.
    const digests = (format: 'libmemcached' | 'libketama', servers: number) =>
      new KetamaAlgorithm(format, 11211, []).digestCount({ id: 'x', weight: 1 }, servers, servers);
    const short = (format: 'libmemcached' | 'libketama') =>
      Array.from({ length: 128 }, (_, i) => i + 1).filter((servers) => digests(format, servers) !== 40);
    expect(short('libmemcached')).toEqual([25, 47, 50, 55, 61, 71, 94, 100, 107, 109, 110, 115, 122]);
    expect(short('libketama')).toEqual([61, 122]);
    expect(digests('libmemcached', 25)).toBe(39);
    const engine = new KetamaAlgorithm('libmemcached', 11211, []);
    // libmemcached's weighted formula for its test servers (total weight 4300, 8 servers).
    expect(engine.digestCount({ id: 'x', weight: 1000 }, 4300, 8)).toBe(74);
    expect(engine.digestCount({ id: 'x', weight: 100 }, 4300, 8)).toBe(7);
  });
});
