import { InvalidOptionError } from '../core/errors/InvalidOptionError.js';
import { nonEmptyStringOption, oneOfOption } from '../core/internal/validate.js';
import { shardKeyOption } from './ShardNode.js';
import type { ShardKeyStrategy } from './ShardRouter.js';

type FieldOf<R> = Extract<keyof R, string>;

/**
 * Shard by an identifier field — a user id, a tenant id — so all of one user's records live
 * together. The key is `prefix + value`.
 *
 * @param field - the record field holding the id (a string or finite number).
 * @param options - `prefix` prepended to the value (default `''`).
 *
 * @example
 * {@includeCode ./ShardRouter.test.ts#strategies}
 */
export function shardByField<R>(
  field: FieldOf<R>,
  options: { readonly prefix?: string } = {},
): ShardKeyStrategy<R> {
  nonEmptyStringOption('field', field);
  const prefix = options.prefix ?? '';
  return (record) => {
    const value = shardKeyOption(`record.${field}`, (record as Record<string, unknown>)[field]);
    return prefix === '' ? value : `${prefix}${value}`;
  };
}

/** Granularity of {@link shardByDateRange}. */
export type DateRangeUnit = 'hour' | 'day' | 'month' | 'year';

/**
 * Shard by time bucket — logs, events, orders — so one period's records live together and old
 * periods can be archived as a unit. The key is the UTC period: `2026-11` for `month`,
 * `2026-11-22` for `day`, `2026-11-22T18` for `hour`, `2026` for `year`.
 *
 * @param field - the record field holding a `Date`, an ISO string or epoch milliseconds.
 * @param unit - the period length.
 */
export function shardByDateRange<R>(field: FieldOf<R>, unit: DateRangeUnit): ShardKeyStrategy<R> {
  nonEmptyStringOption('field', field);
  const length = { year: 4, month: 7, day: 10, hour: 13 }[
    oneOfOption('unit', unit, ['hour', 'day', 'month', 'year'])
  ];
  return (record) => {
    const value = (record as Record<string, unknown>)[field];
    const date =
      value instanceof Date
        ? value
        : typeof value === 'string' || typeof value === 'number'
          ? new Date(value)
          : undefined;
    if (!date || Number.isNaN(date.getTime())) {
      throw new InvalidOptionError(
        `record.${field}`,
        'a valid Date, ISO date string or epoch milliseconds',
        value,
      );
    }
    return date.toISOString().slice(0, length);
  };
}

/**
 * Shard by content type, grouping related types so each group lives together (e.g. media on
 * nodes with big disks). A type maps to its group by exact match, then by its top-level type
 * (`image/*`), then to `fallback`; the key is `type:<group>`.
 *
 * @param field - the record field holding the content type (`image/png`).
 * @param groups - content type or `top/*` → group name.
 * @param fallback - group for types not listed. Default: the type itself.
 */
export function shardByContentType<R>(
  field: FieldOf<R>,
  groups: Readonly<Record<string, string>> = {},
  fallback?: string,
): ShardKeyStrategy<R> {
  nonEmptyStringOption('field', field);
  const table = new Map(Object.entries(groups).map(([type, group]) => [type.toLowerCase(), group]));
  return (record) => {
    const value = (record as Record<string, unknown>)[field];
    // Stryker disable next-line StringLiteral: split() returns at least one element, so the '' fallback never applies
    const type = nonEmptyStringOption(`record.${field}`, value).toLowerCase().split(';')[0]?.trim() ?? '';
    const group = table.get(type) ?? table.get(`${type.split('/')[0]}/*`) ?? fallback ?? type;
    return `type:${group}`;
  };
}

/**
 * Shard by geography: a country code maps to a region and the key is `region:<region>`. Pin
 * region keys to nodes in that region (`ShardRouter`'s `pins`) to keep data resident there.
 *
 * @param field - the record field holding an ISO 3166 country code (any case).
 * @param regions - region name → its country codes.
 * @param fallback - region for countries not listed; without one, an unlisted country is an error.
 */
export function shardByGeography<R>(
  field: FieldOf<R>,
  regions: Readonly<Record<string, readonly string[]>>,
  fallback?: string,
): ShardKeyStrategy<R> {
  nonEmptyStringOption('field', field);
  const regionOf = new Map<string, string>();
  for (const [region, countries] of Object.entries(regions)) {
    for (const country of countries) regionOf.set(country.toUpperCase(), region);
  }
  return (record) => {
    const value = (record as Record<string, unknown>)[field];
    const country = nonEmptyStringOption(`record.${field}`, value).toUpperCase();
    const region = regionOf.get(country) ?? fallback;
    if (region === undefined) {
      throw new InvalidOptionError(
        `record.${field}`,
        `a country listed in a region (or a fallback region)`,
        value,
      );
    }
    return `region:${region}`;
  };
}
