/**
 * The part of an ioredis client (`Redis` or `Cluster`) that {@link RedisTier} and
 * {@link RedisLock} use. Pass your client: loadstone never imports ioredis, it only calls these
 * methods, so any client with the same shape works.
 */
export type RedisCacheClient = {
  /** `GET key`. */
  get(key: string): Promise<string | null>;
  /** `SET key value PX ms`. */
  set(key: string, value: string, px: 'PX', ms: number): Promise<unknown>;
  /** `MGET key…` (single node only; a cluster reads key by key). */
  mget(keys: string[]): Promise<(string | null)[]>;
  /** `DEL key…`. */
  del(...keys: string[]): Promise<number>;
  /** `SCAN cursor MATCH pattern COUNT n`. */
  scan(
    cursor: string,
    match: 'MATCH',
    pattern: string,
    count: 'COUNT',
    n: number,
  ): Promise<[string, string[]]>;
  /** `EVAL script numkeys key… arg…`. */
  eval(script: string, numKeys: number, ...keysAndArgs: string[]): Promise<unknown>;
  /** ioredis sets it on both clients: `true` on a `Cluster`. */
  readonly isCluster?: boolean;
};

/** The extra command {@link RedisLock} needs: `SET key value PX ms NX`. */
export type RedisLockClient = RedisCacheClient & {
  /** `SET key value PX ms NX`; resolves `'OK'` when set, `null` when the key exists. */
  set(key: string, value: string, px: 'PX', ms: number, nx: 'NX'): Promise<'OK' | null>;
};

/** A cluster client: its masters, for commands that must visit every node (`SCAN`). */
export type RedisClusterNodes = {
  /** The master nodes' clients. */
  nodes(role: 'master'): RedisCacheClient[];
};

/** True for an ioredis `Cluster` (or a client that says it is one and can list its masters). */
export function isClusterClient(client: RedisCacheClient): client is RedisCacheClient & RedisClusterNodes {
  return client.isCluster === true && typeof (client as Partial<RedisClusterNodes>).nodes === 'function';
}
