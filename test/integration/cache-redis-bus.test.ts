// RedisBus against a real redis-server: the Bus contract every bus passes, plus a message
// crossing two connections as it would cross two processes.
import type { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { RedisBus } from '../../src/cache/index.js';
import { describeBusContract } from '../../src/testing/index.js';
import { partsClient } from '../helpers/partsClient.js';
import { describeWithRedis } from '../helpers/redis.js';

describeWithRedis('RedisBus', (getRedis) => {
  const clients: Redis[] = [];
  const client = (): Redis => {
    const redis = partsClient(getRedis().url, { lazyConnect: false });
    clients.push(redis);
    return redis;
  };
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.quit().catch(() => undefined)));
  });

  describeBusContract(
    'RedisBus',
    ({ onHandlerError }) => new RedisBus({ client: client(), onHandlerError }),
    {
      describe,
      it,
      expect,
    },
  );

  it('carries messages between two buses on separate connections', async () => {
    // #region redisBus
    const redisA = partsClient(getRedis().url); // e.g. in process A
    const redisB = partsClient(getRedis().url); // e.g. in process B
    const publisher = new RedisBus({ client: redisA });
    const subscriber = new RedisBus({ client: redisB });
    const received = new Promise((resolve) => subscriber.subscribe('app:events', resolve));
    await subscriber.ready(); // Redis has confirmed the subscription
    await publisher.publish('app:events', { type: 'user:updated', id: 7 });
    // await received → { type: 'user:updated', id: 7 }
    // #endregion redisBus
    expect(await received).toEqual({ type: 'user:updated', id: 7 });
    await Promise.all([publisher.close(), subscriber.close()]);
    clients.push(redisA, redisB);
  });

  it('passes plain JSON published by other clients to handlers', async () => {
    const bus = new RedisBus({ client: client() });
    const received = new Promise((resolve) => bus.subscribe('raw', resolve));
    await bus.publish('warm-up', 1); // waits for the SUBSCRIBE to be confirmed
    await client().publish('raw', '{"from":"redis-cli"}');
    expect(await received).toEqual({ from: 'redis-cli' });
    await bus.close();
  });
});
