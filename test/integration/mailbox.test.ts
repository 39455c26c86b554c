// Mailbox against a real redis-server and a real 3-master Redis Cluster: order, acknowledgement,
// the cap and the TTL with what they report, and recipients as data. No Redis mocks.

import { setTimeout as sleep } from 'node:timers/promises';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CapacityExceededError, TimeoutError } from '../../src/core/errors/index.js';
import type { JsonValue } from '../../src/core/Json.js';
import { compareMailboxIds, Mailbox, type MailboxOptions } from '../../src/mailbox/index.js';
import { freezeProcess, thawProcess } from '../helpers/freezeProcess.js';
import { partsClient } from '../helpers/partsClient.js';
import { describeWithRedis, redisAvailability, startRedis, suiteClients } from '../helpers/redis.js';
import { type RedisClusterHandle, startRedisCluster } from '../helpers/redisCluster.js';

describeWithRedis('Mailbox', (getRedis) => {
  const { connect, adopt } = suiteClients(() => getRedis().url);
  let prefixes = 0;
  const mailbox = <T extends JsonValue = string>(options: Partial<MailboxOptions> = {}) =>
    new Mailbox<T>({ client: connect(), prefix: `t${++prefixes}:`, ...options });

  it('replays what a reader missed, in order, on any process, until acknowledged', async () => {
    const url = getRedis().url;
    // #region mailbox
    const client = partsClient(url); // your ioredis client (or a Cluster); the mailbox never closes it
    const mailbox = new Mailbox<{ from: string; text: string }>({
      client,
      maxMessages: 1_000,
      ttlMs: 86_400_000,
    });

    // Sending: store first, then send live (a worker that dies before the ack loses nothing).
    const id = await mailbox.post('user:42', { from: 'ada', text: 'hi' });
    // … publish { id, message } to wherever user:42 is connected; the client keeps the last id it saw …

    // The client acknowledged `id` (or reconnects, on any worker, saying the last id it saw):
    await mailbox.ack('user:42', id);
    const { messages, gap } = await mailbox.read('user:42', { after: id });
    // `messages`: everything stored after `id`, oldest first; `gap`: some were dropped unread.
    // #endregion mailbox
    adopt(client);
    expect(messages).toEqual([]);
    expect(gap).toBe(false);

    const ids = await mailbox.postMany('user:42', [
      { from: 'ada', text: 'one' },
      { from: 'bob', text: 'two' },
      { from: 'ada', text: 'three' },
    ]);
    expect(compareMailboxIds(id, ids[0] as string)).toBeLessThan(0);
    // A second process (a worker on another machine) reads the same mailbox.
    const elsewhere = new Mailbox<{ from: string; text: string }>({ client: connect() });
    const replay = await elsewhere.read('user:42', { after: id });
    expect(replay.messages.map((m) => m.message.text)).toEqual(['one', 'two', 'three']);
    expect(replay.messages.map((m) => m.id)).toEqual(ids);
    // Nothing acknowledged: read again, the same messages (a worker died before the ack).
    expect((await elsewhere.read('user:42', { after: id })).messages).toEqual(replay.messages);
    expect(await elsewhere.ack('user:42', ids[1] as string)).toBe(2);
    expect((await mailbox.read('user:42')).messages.map((m) => m.message.text)).toEqual(['three']);
    expect(await mailbox.size('user:42')).toEqual({ unacknowledged: 1, lost: 0, lastId: ids[2] });
  });

  it('reads in pages with limit and after, and a cursor below what was acknowledged is no gap', async () => {
    const box = mailbox<number>();
    const ids = await box.postMany('p', [1, 2, 3, 4, 5]);
    const first = await box.read('p', { limit: 2 });
    expect(first.messages.map((m) => m.message)).toEqual([1, 2]);
    const second = await box.read('p', { after: first.messages[1]?.id, limit: 2 });
    expect(second.messages.map((m) => m.message)).toEqual([3, 4]);
    await box.ack('p', ids[2] as string);
    const late = await box.read('p', { after: ids[0] });
    expect(late.messages.map((m) => m.message)).toEqual([4, 5]);
    expect(late.gap).toBe(false);
    expect(await box.ack('p', ids[2] as string)).toBe(0); // acknowledged already
    expect(box.stats()).toMatchObject({ posted: 5, read: 6, acknowledged: 3, lost: 0 });
  });

  it('keeps a flooded recipient at maxMessages, dropping the oldest, counting them, and telling the reader', async () => {
    const box = mailbox<number>({ maxMessages: 3 });
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) ids.push(await box.post('victim', i));
    expect(await box.size('victim')).toEqual({ unacknowledged: 3, lost: 7, lastId: ids[9] });
    expect(box.stats().lost).toBe(7);
    const fromStart = await box.read('victim');
    expect(fromStart.messages.map((m) => m.message)).toEqual([7, 8, 9]);
    expect(fromStart.gap).toBe(false); // no cursor: nothing read before, nothing to be missing
    expect((await box.read('victim', { after: ids[5] })).gap).toBe(true); // 6 was dropped unread
    expect((await box.read('victim', { after: ids[6] })).gap).toBe(false); // 6 was the last dropped
    // Other recipients are untouched by the flood.
    await box.post('bystander', 1);
    expect((await box.size('bystander')).unacknowledged).toBe(1);
    expect(await box.size('nobody')).toEqual({ unacknowledged: 0, lost: 0, lastId: undefined });
  });

  it("refuses posts to a full mailbox with whenFull: 'reject', storing none of a batch", async () => {
    const box = mailbox<number>({ maxMessages: 3, whenFull: 'reject' });
    await box.postMany('r', [1, 2]);
    const refused = await box.postMany('r', [3, 4]).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(CapacityExceededError);
    expect((refused as CapacityExceededError).code).toBe('ERR_LOADSTONE_CAPACITY');
    expect((refused as CapacityExceededError).limit).toBe(3);
    expect((refused as CapacityExceededError).message).toBe('Mailbox of "r" is full (limit 3)');
    const long = 'r'.repeat(100); // named by its first 64 characters
    await box.postMany(long, [1, 2, 3]);
    await expect(box.post(long, 4)).rejects.toThrow(`Mailbox of "${'r'.repeat(64)}" is full (limit 3)`);
    expect((await box.read('r')).messages.map((m) => m.message)).toEqual([1, 2]);
    await box.post('r', 3);
    await box.ack('r', (await box.size('r')).lastId as string);
    await box.postMany('r', [4, 5, 6]); // room again once acknowledged
    expect(box.stats()).toMatchObject({ posted: 9, rejected: 3, lost: 0 });
  });

  it('deletes messages older than ttlMs unread, counts them, and forgets an untouched mailbox', async () => {
    const client = connect();
    const box = new Mailbox<number>({ client, prefix: 'ttl:', ttlMs: 1_000 });
    const [old] = await box.postMany('t', [1, 2]);
    expect(await client.pttl('ttl:{t}:s')).toBeGreaterThan(0);
    expect(await client.pttl('ttl:{t}:s')).toBeLessThanOrEqual(1_000);
    await sleep(1_100);
    const read = await box.read('t', { after: old });
    expect(read.messages).toEqual([]);
    expect(read.gap).toBe(true);
    await sleep(200);
    // No post or ack for ttlMs: the keys are gone. A reader holding a cursor is told it may have missed some.
    expect(await client.exists('ttl:{t}:s', 'ttl:{t}:m')).toBe(0);
    const newer = await box.post('t', 3);
    const afterForget = await box.read('t', { after: old });
    expect(afterForget.gap).toBe(true);
    expect(afterForget.messages.map((m) => m.id)).toEqual([newer]);
  });

  it('acknowledging an id from the future deletes only what is stored, never a later message', async () => {
    const box = mailbox<number>();
    await box.postMany('f', [1, 2]);
    expect(await box.ack('f', '999999999999999-0')).toBe(2);
    const later = await box.post('f', 3);
    expect((await box.read('f')).messages).toEqual([{ id: later, message: 3 }]);
    expect(await box.ack('nobody', '1-0')).toBe(0);
  });

  it('treats recipients as data: __proto__, braces and percent signs are ordinary and kept apart', async () => {
    const box = mailbox();
    for (const recipient of ['__proto__', 'constructor', 'a}b', 'a%7db', '{x}', '*', 'ü 🦊']) {
      await box.post(recipient, recipient);
    }
    for (const recipient of ['__proto__', 'constructor', 'a}b', 'a%7db', '{x}', '*', 'ü 🦊']) {
      expect((await box.read(recipient)).messages.map((m) => m.message)).toEqual([recipient]);
    }
  });

  it('bounds a call to a frozen Redis by commandTimeoutMs and counts it as failed', async () => {
    const redis = await startRedis();
    if (redis === undefined) throw new Error('redis-server is required');
    const client = partsClient(redis.url, { maxRetriesPerRequest: 1 });
    try {
      await client.ping();
      const box = new Mailbox({ client, commandTimeoutMs: 300 });
      await freezeProcess(redis.pid);
      try {
        const calls: [string, Promise<unknown>][] = [
          ['mailbox post', box.post('u', 'x')],
          ['mailbox read', box.read('u')],
          ['mailbox ack', box.ack('u', '1-0')],
          ['mailbox size', box.size('u')],
        ];
        for (const [name, call] of calls) {
          const error = await call.catch((e: unknown) => e);
          expect(error).toBeInstanceOf(TimeoutError);
          expect((error as TimeoutError).message).toBe(`${name} timed out after 300 ms`);
        }
      } finally {
        await thawProcess(redis.pid);
      }
      expect(box.stats().failed).toBe(4);
    } finally {
      client.disconnect();
      await redis.stop();
    }
  });
});

const availability = redisAvailability();
const describeCluster = availability.mode === 'skip' ? describe.skip : describe;

describeCluster('Mailbox on a 3-master Redis Cluster', () => {
  let cluster: RedisClusterHandle | undefined;
  let client: Cluster | undefined;
  beforeAll(async () => {
    cluster = await startRedisCluster();
    if (cluster === undefined) throw new Error('redis-server is required (CI=true)');
    client = new Cluster([...cluster.nodes]);
  });
  afterAll(async () => {
    await client?.quit().catch(() => client?.disconnect());
    await cluster?.stop();
  });

  it('spreads recipients over every master; each call stays in one slot', async () => {
    const box = new Mailbox<number>({ client: client as Cluster });
    for (let i = 0; i < 60; i++) await box.postMany(`user-${i}`, [i, i + 1]);
    for (let i = 0; i < 60; i++) {
      const { messages } = await box.read(`user-${i}`);
      expect(messages.map((m) => m.message)).toEqual([i, i + 1]);
      expect(await box.ack(`user-${i}`, messages[1]?.id as string)).toBe(2);
    }
    const perMaster = await Promise.all(
      (client as Cluster).nodes('master').map((node) => node.keys('lsm:*')),
    );
    expect(perMaster.every((keys) => keys.length > 0)).toBe(true);
  });
});
