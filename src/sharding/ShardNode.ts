import { InvalidOptionError } from '../core/errors/InvalidOptionError.js';

/** A node as the sharder holds it: its id and its weight (share of keys, relative to the others). */
export type ShardNode = {
  /** The node's id: what `getNode` returns, and what the hash of its points is made from. */
  readonly id: string;
  /** Relative share of keys. Minimum: > 0. For `jump`, an integer (the node's bucket count). */
  readonly weight: number;
};

/** A node given with its weight. */
export type WeightedNodeInput = {
  /** The node's id. */
  readonly id: string;
  /** Relative share of keys. Minimum: > 0 (an integer for `jump`). @default 1 */
  readonly weight?: number;
};

/** A node as the caller may give it: a bare id (weight 1), or an id with a weight. */
export type ShardNodeInput = string | WeightedNodeInput;

/** A key the sharder can place: a string, or a finite number (see `getNode` for how numbers hash). */
export type ShardKey = string | number;

/**
 * Throws unless `value` is a {@link ShardKey}; returns it typed.
 * @internal
 */
export function shardKeyOption(path: string, value: unknown): ShardKey {
  if (typeof value !== 'string' && !(typeof value === 'number' && Number.isFinite(value))) {
    throw new InvalidOptionError(path, 'a string or a finite number', value);
  }
  return value;
}
