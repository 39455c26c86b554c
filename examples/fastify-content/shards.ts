// The user table, split over shards. Each shard is an embedded in-memory store standing in for a
// database server; the service reaches it through a pool of (fake) connections, one pool per
// shard, and `ConsistentHashSharder` decides which shard owns a user.
import { setImmediate } from 'node:timers/promises';
import type { ConnectionPoolManager } from 'loadstone/pool';
import { ConsistentHashSharder } from 'loadstone/sharding';

/** Subscription tiers, best first: also the generation queue's priority levels. */
export const tiers = ['premium', 'pro', 'free'] as const;
export type Tier = (typeof tiers)[number];

export type UserRecord = { readonly id: string; readonly tier: Tier; readonly updatedAt: string };

/** A connection to one shard: async like a real driver, so a connection is held across a wait. */
class ShardConnection {
  #open = true;
  constructor(private readonly rows: Map<string, UserRecord>) {}
  async get(id: string): Promise<UserRecord | undefined> {
    await setImmediate();
    if (!this.#open) throw new Error('connection closed');
    return this.rows.get(id);
  }
  async put(user: UserRecord): Promise<void> {
    await setImmediate();
    if (!this.#open) throw new Error('connection closed');
    this.rows.set(user.id, user);
  }
  close(): void {
    this.#open = false;
  }
}

export type UserShards = {
  /** The shard that owns `userId`: the same answer for the same id, every time. */
  shardOf(userId: string): string;
  get(userId: string): Promise<UserRecord | undefined>;
  put(user: UserRecord): Promise<void>;
  readonly sharder: ConsistentHashSharder;
};

/** Registers one connection pool per shard (`shard:<id>`) with `pools` and routes by user id. */
export function createUserShards(pools: ConnectionPoolManager, shardIds: readonly string[]): UserShards {
  const sharder = new ConsistentHashSharder({ nodes: shardIds });
  for (const id of shardIds) {
    const rows = new Map<string, UserRecord>();
    pools.register<ShardConnection>(
      `shard:${id}`,
      { create: () => new ShardConnection(rows), destroy: (connection) => connection.close() },
      { max: 4, acquireTimeoutMs: 1_000 },
    );
  }
  const shardOf = (userId: string) => sharder.getNode(userId);
  return {
    sharder,
    shardOf,
    get: (userId) => pools.use(`shard:${shardOf(userId)}`, (db: ShardConnection) => db.get(userId)),
    put: (user) => pools.use(`shard:${shardOf(user.id)}`, (db: ShardConnection) => db.put(user)),
  };
}
