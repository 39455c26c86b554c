/**
 * Test harness that runs a throwaway `redis-server` on a free loopback port.
 *
 * - `startRedis()` (from ./redisServer.ts, re-exported here) starts one and resolves once it accepts
 *   connections; `stop()` kills it and waits for exit.
 * - `describeWithRedis(name, fn)` wraps a vitest suite around one shared server. When `redis-server` is not
 *   on PATH the suite is skipped with a loud warning, except under `CI=true`, where it fails instead: CI must
 *   never go green by silently skipping the Redis tests.
 *
 * Nothing is persisted (`--save '' --appendonly no`, working dir in the OS temp dir) and the server binds only
 * to 127.0.0.1.
 */
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { partsClient } from './partsClient.js';
import { INSTALL_HINT, isCI, type RedisServerHandle, redisAvailability, startRedis } from './redisServer.js';

export {
  findRedisServer,
  getFreePort,
  INSTALL_HINT,
  isCI,
  type RedisServerHandle,
  redisAvailability,
  type StartRedisOptions,
  startRedis,
} from './redisServer.js';

/**
 * A redis-server that keeps everything it acknowledged (append-only file, `appendfsync always`) in
 * `dir`, so a test can kill it and start "the same" server again on `port` with its data.
 * @throws (rejects) when `redis-server` is missing.
 */
export async function startDurableRedis(dir: string, port?: number): Promise<RedisServerHandle> {
  const server = await startRedis({
    port,
    extraArgs: ['--appendonly', 'yes', '--appendfsync', 'always', '--dir', dir],
  });
  if (server === undefined) throw new Error('redis-server is required');
  return server;
}

function missingBanner(ci: boolean): string {
  const line = '='.repeat(78);
  return [
    '',
    line,
    ci
      ? '  redis-server NOT FOUND on PATH and CI=true: FAILING the Redis integration tests.'
      : '  redis-server NOT FOUND on PATH: SKIPPING the Redis integration tests.',
    `  Install it with:  ${INSTALL_HINT}   (then re-run; do not start it as a service)`,
    line,
    '',
  ].join('\n');
}

/**
 * A vitest `describe` around one shared throwaway Redis server: started in `beforeAll`, stopped in `afterAll`.
 * Call `getRedis()` inside tests or hooks (not while the suite is being collected).
 *
 * Missing `redis-server`: the suite is skipped with a warning banner, or fails under `CI=true`.
 */
export function describeWithRedis(name: string, fn: (getRedis: () => RedisServerHandle) => void): void {
  const availability = redisAvailability();
  let handle: RedisServerHandle | undefined;
  const getRedis = (): RedisServerHandle => {
    if (handle === undefined) {
      throw new Error(
        'the Redis server is not running: call getRedis() inside a test or hook, not at collection',
      );
    }
    return handle;
  };

  if (availability.mode !== 'run') {
    const banner = missingBanner(availability.mode === 'fail');
    console.warn(banner);
    if (availability.mode === 'fail') {
      describe(name, () => {
        it('requires redis-server on PATH under CI=true', () => {
          throw new Error(banner);
        });
        describe.skip('(needs redis-server)', () => fn(getRedis));
      });
    } else {
      describe.skip(name, () => fn(getRedis));
    }
    return;
  }

  describe(name, () => {
    beforeAll(async () => {
      handle = await startRedis();
      if (handle === undefined) throw new Error(missingBanner(isCI()));
    });
    afterAll(async () => {
      await handle?.stop();
      handle = undefined;
    });
    fn(getRedis);
  });
}

/**
 * The ioredis clients of one suite: `connect()` opens one on `url()` (through `partsClient`, so
 * the parts get node-redis in the `redis-node` project) (read when called, inside a
 * test or hook), `adopt(client)` takes one the test opened itself; every one is disconnected after
 * the suite. Call it inside the suite's `describe`.
 */
export function suiteClients(url: () => string): { connect: () => Redis; adopt: (client: Redis) => Redis } {
  const clients: Redis[] = [];
  afterAll(() => {
    for (const client of clients) client.disconnect();
  });
  const adopt = (client: Redis): Redis => {
    clients.push(client);
    return client;
  };
  return { connect: () => adopt(partsClient(url())), adopt };
}
