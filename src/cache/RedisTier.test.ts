import { describe, expect, it } from 'vitest';
import { expectInvalidOption } from '../../test/helpers/expectInvalidOption.js';
import type { CacheEntry } from '../core/index.js';
import { RedisBus } from './RedisBus.js';
import type { RedisCacheClient } from './RedisClient.js';
import { RedisLock } from './RedisLock.js';
import { RedisTier } from './RedisTier.js';

/** Just enough of a Redis client over a Map, recording the commands it was sent. */
function fakeClient(
  isCluster = false,
): RedisCacheClient & { store: Map<string, string>; commands: string[] } {
  const store = new Map<string, string>();
  const commands: string[] = [];
  return {
    store,
    commands,
    isCluster,
    async get(key) {
      commands.push(`GET ${key}`);
      return store.get(key) ?? null;
    },
    async set(key: string, value: string, _px: 'PX', ms: number) {
      commands.push(`SET ${key} PX ${ms}`);
      store.set(key, value);
      return 'OK';
    },
    async mget(keys) {
      commands.push(`MGET ${keys.join(' ')}`);
      return keys.map((key) => store.get(key) ?? null);
    },
    async del(...keys) {
      commands.push(`DEL ${keys.join(' ')}`);
      let n = 0;
      for (const key of keys) if (store.delete(key)) n++;
      return n;
    },
    async scan(cursor, match, pattern, count, n) {
      commands.push(`SCAN ${cursor} ${match} ${pattern} ${count} ${n}`);
      const glob = globRegExp(pattern);
      return ['0', [...store.keys()].filter((key) => glob.test(key))];
    },
    async eval() {
      return 0;
    },
  };
}

/** A Redis MATCH glob (`*`, `?`, `[...]`, `[^...]`, `\x`; no ranges) as a RegExp, as Redis reads it. */
function globRegExp(pattern: string): RegExp {
  const literal = (c: string) => c.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '\\' && i + 1 < pattern.length) source += literal(pattern[++i] as string);
    else if (c === '*') source += '[\\s\\S]*';
    else if (c === '?') source += '[\\s\\S]';
    else if (c === '[') {
      let set = '';
      let j = i + 1;
      if (pattern[j] === '^') {
        set += '^';
        j++;
      }
      for (; j < pattern.length && pattern[j] !== ']'; j++) {
        if (pattern[j] === '\\' && j + 1 < pattern.length) j++;
        set += literal(pattern[j] as string);
      }
      source += `[${set}]`;
      i = j;
    } else source += literal(c);
  }
  return new RegExp(`^${source}$`);
}

const entry = (value: unknown): CacheEntry => ({ value, createdAt: 1, freshUntil: 2, staleUntil: 3 });

describe('RedisTier', () => {
  it('stores entries under its prefix with PX, one command per call, MGET for many keys', async () => {
    const client = fakeClient();
    const tier = new RedisTier({ client, prefix: 'p:' });
    await tier.set('a', { ...entry({ at: new Date(5) }), tags: ['t'] }, 1234.5);
    await tier.set('missing', entry(undefined), 10);
    expect(client.commands).toEqual(['SET p:a PX 1235', 'SET p:missing PX 10']);
    const a = await tier.get('a');
    expect((a?.value as { at: Date } | undefined)?.at).toEqual(new Date(5));
    expect(a?.tags).toEqual(['t']);
    const negative = await tier.get('missing');
    expect(negative).toEqual({ value: undefined, createdAt: 1, freshUntil: 2, staleUntil: 3 });
    client.commands.length = 0;
    expect((await tier.getMany(['a', 'zz'])).map((e) => e === undefined)).toEqual([false, true]);
    expect(client.commands).toEqual(['MGET p:a p:zz']);
    await tier.delete(['a', 'zz']);
    expect(client.commands.at(-1)).toBe('DEL p:a p:zz');
  });

  it('reads key by key on a cluster (keys of different slots cannot share a command)', async () => {
    const client = fakeClient(true);
    const tier = new RedisTier({ client });
    await tier.getMany(['a', 'b']);
    expect(client.commands).toEqual(['GET loadstone:cache:a', 'GET loadstone:cache:b']);
  });

  it('clears only keys with its prefix, matching it literally (SCAN MATCH escapes * ? [ ] \\)', async () => {
    const client = fakeClient();
    const prefix = 'p*?[ab]\\:';
    for (const key of [
      `${prefix}x`,
      `${prefix}y`,
      'pZa:k',
      'p*Z[ab]\\:k',
      'p*?a\\:k',
      'p*?[ab]:k',
      'p-other',
    ])
      client.store.set(key, '{}');
    await new RedisTier({ client, prefix }).clear();
    expect(client.commands).toEqual([
      'SCAN 0 MATCH p\\*\\?\\[ab\\]\\\\:* COUNT 1000',
      `DEL ${prefix}x ${prefix}y`,
    ]);
    expect([...client.store.keys()]).toEqual(['pZa:k', 'p*Z[ab]\\:k', 'p*?a\\:k', 'p*?[ab]:k', 'p-other']);
    // (The same against a real redis-server: test/integration/cache-redis.test.ts.)
  });

  it('validates its options, and those of RedisLock and RedisBus', () => {
    expectInvalidOption(() => new RedisTier({} as never), 'options.client', 'an ioredis');
    expectInvalidOption(
      () => new RedisTier({ client: fakeClient(), prefix: '' }),
      'options.prefix',
      'a non-empty',
    );
    expectInvalidOption(
      () => new RedisTier({ client: fakeClient(), serializer: {} as never }),
      'options.serializer',
      'a Serializer',
    );
    expectInvalidOption(() => new RedisLock({ client: {} as never }), 'options.client', 'an ioredis');
    expectInvalidOption(() => new RedisBus({ client: {} as never }), 'options.client', 'an ioredis');
    expectInvalidOption(
      () => new RedisBus({ client: { publish: async () => 0 } as never }),
      'options.subscriber',
      'given when',
    );
  });
});
