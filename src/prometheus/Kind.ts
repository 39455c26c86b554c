import type { FamilyBuilder } from './FamilyBuilder.js';

export type Labels = Readonly<Record<string, string>>;
export type Stats = Readonly<Record<string, unknown>>;

/** How one primitive's `stats()` maps to families. @internal */
export type Kind = {
  /** Short module name, the metric names' second segment. */
  readonly module: string;
  /** Whether `source` is this primitive. */
  readonly is: (source: object) => boolean;
  /** Emits the families of one `stats()` snapshot. */
  readonly map: (b: FamilyBuilder, stats: Stats, labels: Labels) => void;
};

/** A nested part of a snapshot (a pool, a tier, a check), or `{}` when it is not an object. */
export function record(value: unknown): Stats {
  return typeof value === 'object' && value !== null ? (value as Stats) : {};
}
