import { murmur3 } from '../hashers.js';
import type { ShardKey, ShardNode } from '../ShardNode.js';
import {
  buildContinuum,
  type Continuum,
  compareIds,
  continuumIndex,
  continuumPartition,
  mergeNode,
  removeNode,
  walkDistinct,
} from './continuum.js';
import type { Partition, ShardAlgorithm } from './ShardAlgorithm.js';

/**
 * Consistent hashing on a ring of virtual nodes: each node owns `round(vnodes × weight)` points,
 * point `i` of node `id` at murmur3(`${id}-${i}`), and a key belongs to the first point at or
 * after murmur3(key). Equal points go to the smaller id, so the ring depends only on the node
 * set, not on the order nodes were added in. A membership change merges in or filters out one
 * node's points in O(points); nothing is re-hashed or re-sorted.
 * @internal
 */
export class RingAlgorithm implements ShardAlgorithm {
  readonly name = 'ring';
  /** Replaced on every change, never mutated, so clones can share it. */
  private continuum: Continuum;

  constructor(
    private readonly vnodes: number,
    nodes: readonly ShardNode[],
  ) {
    const sorted = [...nodes].sort((a, b) => compareIds(a.id, b.id));
    this.continuum = buildContinuum(
      sorted.map((node) => node.id),
      (index) => this.pointsFor(sorted[index] as ShardNode),
    );
  }

  locate(key: ShardKey): string {
    const { owners, ids } = this.continuum;
    const index = continuumIndex(this.continuum, murmur3(typeof key === 'string' ? key : String(key)));
    return ids[owners[index] as number] as string;
  }

  locateMany(key: ShardKey, n: number): string[] {
    return walkDistinct(this.continuum, this.position(key, true), n);
  }

  update(_nodes: readonly ShardNode[], change: { added?: ShardNode; removed?: ShardNode }): void {
    if (change.removed) this.continuum = removeNode(this.continuum, change.removed.id);
    if (change.added)
      this.continuum = mergeNode(this.continuum, change.added.id, this.pointsFor(change.added));
  }

  clone(): RingAlgorithm {
    const copy = Object.create(RingAlgorithm.prototype) as RingAlgorithm;
    Object.assign(copy, this);
    return copy;
  }

  partition(): Partition {
    return continuumPartition(this.continuum);
  }

  /** The key's hash (its place on the ring); with `asIndex`, the index of its owning point. */
  position(key: ShardKey, asIndex = false): number {
    const hash = murmur3(typeof key === 'string' ? key : String(key));
    return asIndex ? continuumIndex(this.continuum, hash) : hash;
  }

  private pointsFor(node: ShardNode): Uint32Array {
    const points = new Uint32Array(Math.max(1, Math.round(this.vnodes * node.weight)));
    for (let i = 0; i < points.length; i++) points[i] = murmur3(`${node.id}-${i}`);
    return points;
  }
}
