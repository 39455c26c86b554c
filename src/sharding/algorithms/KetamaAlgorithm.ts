import { md5Words } from '../hashers.js';
import type { ShardKey, ShardNode } from '../ShardNode.js';
import {
  buildContinuum,
  type Continuum,
  continuumIndex,
  continuumPartition,
  emptyContinuum,
  walkDistinct,
} from './continuum.js';
import type { Partition, ShardAlgorithm } from './ShardAlgorithm.js';

/**
 * How a ketama client names a server's continuum points, which decides where they fall:
 * - `libmemcached` (and pylibmc): `host-i` when the server's port is the default port,
 *   else `host:port-i`;
 * - `libketama` (python-ketama, hashring's default) and `twemproxy`: `host:port-i`, the id verbatim;
 * - `spymemcached`: `/host:port-i` (Java's `InetSocketAddress.toString()` of an unresolved host).
 */
export type KetamaPointFormat = 'libmemcached' | 'libketama' | 'twemproxy' | 'spymemcached';

const words = new Uint32Array(4);
const f32 = Math.fround;

/**
 * The ketama continuum of the memcached clients, point for point: each server gets
 * `4 × floor(share × 40 × servers)` points from the MD5 of its point strings (4 per digest,
 * little-endian words), a key hashes to the first MD5 word of the key, and it belongs to the
 * first point at or after that hash. The share arithmetic is done in 32-bit floats, as the C
 * clients do, so weighted servers get exactly the point counts libmemcached gives them.
 * @internal
 */
export class KetamaAlgorithm implements ShardAlgorithm {
  readonly name = 'ketama';
  private continuum: Continuum = emptyContinuum();

  constructor(
    private readonly format: KetamaPointFormat,
    private readonly defaultPort: number,
    nodes: readonly ShardNode[],
  ) {
    this.rebuild(nodes);
  }

  locate(key: ShardKey): string {
    const { owners, ids } = this.continuum;
    return ids[owners[this.position(key, true)] as number] as string;
  }

  locateMany(key: ShardKey, n: number): string[] {
    return walkDistinct(this.continuum, this.position(key, true), n);
  }

  // Ketama shares depend on every server's weight and on the server count, so any change
  // recomputes the whole continuum (as the memcached clients do); it is a few hundred MD5s.
  update(nodes: readonly ShardNode[]): void {
    this.rebuild(nodes);
  }

  clone(): KetamaAlgorithm {
    const copy = Object.create(KetamaAlgorithm.prototype) as KetamaAlgorithm;
    Object.assign(copy, this);
    return copy;
  }

  partition(): Partition {
    return continuumPartition(this.continuum);
  }

  /** The key's ketama hash; with `asIndex`, the index of its owning point. */
  position(key: ShardKey, asIndex = false): number {
    md5Words(typeof key === 'string' ? key : String(key), words);
    const hash = words[0] as number;
    return asIndex ? continuumIndex(this.continuum, hash) : hash;
  }

  /** How many MD5 digests (4 points each) a node gets, as the named client computes it. */
  digestCount(node: ShardNode, totalWeight: number, servers: number): number {
    const share = f32(f32(node.weight) / f32(totalWeight));
    if (this.format === 'libketama') {
      // libketama: floorf(pct * 40.0 * (float)numservers), the product in double, then to float.
      return Math.floor(f32(share * 40 * servers));
    }
    // libmemcached, twemproxy and spymemcached: floor((float)(pct * 160 / 4 * (float)servers + 1e-10)).
    // The 1e-10 is left out: added to a float it can only round a value below 1 up, still floored to 0.
    return Math.floor(f32(f32(f32(share * 160) / 4) * f32(servers)));
  }

  private rebuild(nodes: readonly ShardNode[]): void {
    let totalWeight = 0;
    for (const node of nodes) totalWeight += node.weight;
    // Equal points go to the server listed first, as hashring's stable sort does (libmemcached's
    // qsort leaves them unspecified).
    this.continuum = buildContinuum(
      nodes.map((node) => node.id),
      (index) => {
        const node = nodes[index] as ShardNode;
        const digests = this.digestCount(node, totalWeight, nodes.length);
        const prefix = this.pointPrefix(node.id);
        const points = new Uint32Array(digests * 4);
        for (let i = 0; i < digests; i++) {
          md5Words(`${prefix}-${i}`, words);
          points.set(words, i * 4);
        }
        return points;
      },
    );
  }

  private pointPrefix(id: string): string {
    switch (this.format) {
      case 'libmemcached': {
        const colon = id.lastIndexOf(':');
        return colon !== -1 && Number(id.slice(colon + 1)) === this.defaultPort ? id.slice(0, colon) : id;
      }
      case 'spymemcached':
        return `/${id}`;
      default:
        return id;
    }
  }
}
