import { once } from 'node:events';
import { createConnection } from 'node:net';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { describeWithRedis, findRedisServer, redisAvailability, startRedis } from '../helpers/redis.js';

/** Resolves with the socket error code, or `'connected'` if something answered on the port. */
async function tryConnect(port: number): Promise<string> {
  const socket = createConnection({ host: '127.0.0.1', port });
  try {
    await once(socket, 'connect');
    return 'connected';
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? String(error);
  } finally {
    socket.destroy();
  }
}

describeWithRedis('redis test harness', (getRedis) => {
  it('serves a SET/GET round trip through ioredis', async () => {
    const { url, port, host } = getRedis();
    expect(url).toBe(`redis://${host}:${port}`);
    const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await redis.connect();
      await redis.set('loadstone:harness', 'hello');
      expect(await redis.get('loadstone:harness')).toBe('hello');
      // Nothing is persisted: no RDB snapshots, no AOF.
      expect(await redis.config('GET', 'save')).toEqual(['save', '']);
      expect(await redis.config('GET', 'appendonly')).toEqual(['appendonly', 'no']);
    } finally {
      redis.disconnect();
    }
  });

  it('stops: the port refuses connections afterwards, and stop() is idempotent', async () => {
    // Its own server, so stopping it doesn't pull the shared one out from under the other test.
    const server = await startRedis();
    if (server === undefined) throw new Error('redis-server vanished from PATH');
    expect(server.port).not.toBe(getRedis().port);
    expect(await tryConnect(server.port)).toBe('connected');

    await server.stop();
    expect(await tryConnect(server.port)).toBe('ECONNREFUSED');
    expect(() => process.kill(server.pid, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
    await expect(server.stop()).resolves.toBeUndefined();
  });
});

describe('redis test harness without redis-server', () => {
  it('finds nothing on an empty PATH, so startRedis() resolves to undefined', async () => {
    expect(findRedisServer({ PATH: '' })).toBeUndefined();
    await expect(startRedis({ env: { PATH: '' } })).resolves.toBeUndefined();
  });

  it('skips locally but fails under CI=true', () => {
    expect(redisAvailability({ PATH: '' })).toEqual({ mode: 'skip' });
    expect(redisAvailability({ PATH: '', CI: 'false' })).toEqual({ mode: 'skip' });
    expect(redisAvailability({ PATH: '', CI: 'true' })).toEqual({ mode: 'fail' });
  });
});
