// The "user database" of the example, shared by every worker: one JSON file per user in a
// directory (embedded mode), or one Redis key per user (REDIS_URL). Both create a user with an
// atomic create-if-absent, so two workers signing up the same name at once cannot both win.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import type { PasswordHash } from './passwords.js';

export type User = { readonly username: string; readonly createdAt: string; readonly password: PasswordHash };

export interface UserStore {
  /** Stores `user`; `false` when the username is taken. */
  create(user: User): Promise<boolean>;
  /** The user, or `undefined`. */
  find(username: string): Promise<User | undefined>;
}

/** Usernames are also file names and Redis keys: keep them to a safe alphabet. */
export const USERNAME = /^[a-z0-9_-]{3,32}$/;

export class FileUserStore implements UserStore {
  readonly #dir: string;

  constructor(dir: string) {
    this.#dir = dir;
  }

  async create(user: User): Promise<boolean> {
    try {
      // `wx` fails with EEXIST when the file exists: the check and the write are one operation.
      await writeFile(this.#path(user.username), JSON.stringify(user), { flag: 'wx' });
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw error;
    }
  }

  async find(username: string): Promise<User | undefined> {
    try {
      return JSON.parse(await readFile(this.#path(username), 'utf8')) as User;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  #path(username: string): string {
    return join(this.#dir, `${username}.json`);
  }
}

export class RedisUserStore implements UserStore {
  readonly #redis: Redis;

  constructor(redis: Redis) {
    this.#redis = redis;
  }

  async create(user: User): Promise<boolean> {
    // SET … NX: only if absent, atomically across every process using this Redis.
    return (await this.#redis.set(`express-auth:user:${user.username}`, JSON.stringify(user), 'NX')) === 'OK';
  }

  async find(username: string): Promise<User | undefined> {
    const text = await this.#redis.get(`express-auth:user:${username}`);
    return text === null ? undefined : (JSON.parse(text) as User);
  }
}
