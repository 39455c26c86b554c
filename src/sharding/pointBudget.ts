// What a sharder's nodes may allocate (internal). `ring` gives a node `round(vnodes × weight)`
// points and `jump` one bucket per unit of weight, so a weight is memory: weight 1,000,000 on
// the default 2,048 vnodes asked for 2 billion points and never finished building. Weights and
// the points they buy are bounded, and a node past the bound is refused when it is given.
import type { ShardAlgorithmName } from './algorithms/ShardAlgorithm.js';

/** The largest node weight, for every algorithm (ketama's float32 shares lose it past this). */
export const MAX_NODE_WEIGHT = 1_000_000;

/** The most ring points (`ring`) or buckets (`jump`) of all nodes together: 16 MB of points. */
export const MAX_POINTS = 4_194_304;

/**
 * The points or buckets a node of `weight` takes; 0 where the table does not grow with weights
 * (`ketama` shares a fixed number of points, `maglev` a fixed table, `rendezvous` has none).
 */
export function pointsOf(algorithm: ShardAlgorithmName, vnodes: number, weight: number): number {
  if (algorithm === 'ring') return Math.max(1, Math.round(vnodes * weight));
  if (algorithm === 'jump') return weight;
  return 0;
}
