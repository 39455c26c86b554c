import type { CacheEntry, CacheTier } from '../core/CacheTier.js';
import { InvalidOptionError } from '../core/errors/InvalidOptionError.js';
import {
  checkOptionKeys,
  nonEmptyStringOption,
  optionNames,
  optionsObject,
} from '../core/internal/validate.js';
import { isClusterClient, type RedisCacheClient } from './RedisClient.js';
import { jsonSerializer, type Serializer } from './Serializer.js';

/** Options of {@link RedisTier}. */
export type RedisTierOptions = {
  /**
   * Your ioredis `Redis` or `Cluster` client (or any {@link RedisCacheClient}). The tier never
   * connects or quits it: its lifetime is yours.
   */
  readonly client: RedisCacheClient;
  /**
   * Prefix of every key the tier writes; `clear()` removes only keys with it. Give each cache
   * its own.
   * @default 'loadstone:cache:'
   */
  readonly prefix?: string;
  /** Encodes stored records. @default {@link jsonSerializer} (Dates and Buffers survive) */
  readonly serializer?: Serializer;
  /** Name in stats and events. @default 'redis' */
  readonly name?: string;
};

/** How an entry is stored: short keys, since every byte is paid per key in Redis. */
type StoredRecord = {
  v?: unknown;
  /** 1 for a negative entry (a cached "not found"). */
  n?: 1;
  c: number;
  f: number;
  s: number;
  t?: readonly string[];
};

const OPTIONS = optionNames<RedisTierOptions>()(['name', 'client', 'prefix', 'serializer']);

/**
 * A remote {@link CacheTier} over Redis: one round trip per operation (`GET`, `SET … PX`,
 * `DEL`), and one `MGET` for a multi-get on a single node (a `Cluster` reads key by key, since
 * keys of different slots cannot share a command). `TieredCache` guards it with a circuit
 * breaker; the tier itself rejects with the client's errors.
 *
 * @example
 * {@includeCode ../../test/integration/cache-redis.test.ts#twoTier}
 */
export class RedisTier implements CacheTier<false> {
  /** {@inheritDoc CacheTier.name} */
  readonly name: string;
  /** Always `true`: Redis is shared between processes. */
  readonly remote = true;
  /** The key prefix. */
  readonly prefix: string;
  readonly #client: RedisCacheClient;
  readonly #serializer: Serializer;

  /**
   * @param options - client, prefix, serializer.
   * @throws {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION` for a bad option.
   */
  constructor(options: RedisTierOptions) {
    const opts = optionsObject('options', options) as Partial<RedisTierOptions>;
    checkOptionKeys(opts, OPTIONS, 'RedisTier');
    const client = opts.client; // never null: the option check refuses null values
    if (
      typeof client !== 'object' ||
      typeof client.get !== 'function' ||
      typeof client.set !== 'function' ||
      typeof client.del !== 'function'
    ) {
      throw new InvalidOptionError('options.client', 'an ioredis Redis or Cluster client', client);
    }
    this.#client = client;
    this.prefix =
      opts.prefix === undefined ? 'loadstone:cache:' : nonEmptyStringOption('options.prefix', opts.prefix);
    const serializer = opts.serializer ?? jsonSerializer;
    if (
      typeof serializer !== 'object' ||
      typeof serializer.serialize !== 'function' ||
      typeof serializer.deserialize !== 'function'
    ) {
      throw new InvalidOptionError('options.serializer', 'a Serializer', serializer);
    }
    this.#serializer = serializer;
    this.name = nonEmptyStringOption('options.name', opts.name ?? 'redis');
  }

  /** {@inheritDoc CacheTier.get} */
  async get(key: string): Promise<CacheEntry | undefined> {
    const text = await this.#client.get(this.prefix + key);
    return text === null ? undefined : this.#decode(text);
  }

  /**
   * Reads several keys in one round trip (`MGET`; key by key on a cluster).
   * @param keys - the cache keys.
   * @returns the entries, `undefined` where missing, in the order of `keys`.
   */
  async getMany(keys: readonly string[]): Promise<(CacheEntry | undefined)[]> {
    if (keys.length === 0) return [];
    const redisKeys = keys.map((key) => this.prefix + key);
    const texts =
      this.#client.isCluster === true
        ? await Promise.all(redisKeys.map((key) => this.#client.get(key)))
        : await this.#client.mget(redisKeys);
    return texts.map((text) => (text === null || text === undefined ? undefined : this.#decode(text)));
  }

  /** {@inheritDoc CacheTier.set} */
  async set(key: string, entry: CacheEntry, ttlMs: number): Promise<void> {
    const record: StoredRecord = { c: entry.createdAt, f: entry.freshUntil, s: entry.staleUntil };
    if (entry.value === undefined) record.n = 1;
    else record.v = entry.value;
    if (entry.tags !== undefined) record.t = entry.tags;
    await this.#client.set(
      this.prefix + key,
      this.#serializer.serialize(record),
      'PX',
      Math.max(1, Math.ceil(ttlMs)),
    );
  }

  /** {@inheritDoc CacheTier.delete} */
  async delete(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    const redisKeys = keys.map((key) => this.prefix + key);
    if (this.#client.isCluster === true && redisKeys.length > 1) {
      await Promise.all(redisKeys.map((key) => this.#client.del(key)));
    } else {
      await this.#client.del(...redisKeys);
    }
  }

  /**
   * Removes every key with this tier's prefix. Walks the keyspace with `SCAN MATCH <prefix>*`
   * (on every master of a cluster), so it costs time proportional to the whole database.
   * @returns a promise that resolves once done.
   */
  async clear(): Promise<void> {
    const pattern = `${escapeGlob(this.prefix)}*`;
    const nodes = isClusterClient(this.#client) ? this.#client.nodes('master') : [this.#client];
    await Promise.all(
      nodes.map(async (node) => {
        let cursor = '0';
        do {
          const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
          cursor = next;
          // Keys of one node may still live in different slots: delete them one by one there.
          if (keys.length > 0) {
            if (node.isCluster === true || nodes.length > 1)
              await Promise.all(keys.map((key) => node.del(key)));
            else await node.del(...keys);
          }
        } while (cursor !== '0');
      }),
    );
  }

  #decode(text: string): CacheEntry | undefined {
    const record = this.#serializer.deserialize(text) as StoredRecord | null;
    if (typeof record !== 'object' || record === null || typeof record.s !== 'number') return undefined;
    const entry: { -readonly [K in keyof CacheEntry]: CacheEntry[K] } = {
      value: record.n === 1 ? undefined : record.v,
      createdAt: record.c,
      freshUntil: record.f,
      staleUntil: record.s,
    };
    if (record.t !== undefined) entry.tags = record.t;
    return entry;
  }
}

/** Escapes Redis glob metacharacters so a prefix matches literally. */
function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}
