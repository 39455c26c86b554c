// A throwaway redis-server for the suites that measure against Redis. Missing redis-server
// skips those cases loudly: a log line and a report section saying why, never silence.
import { type RedisServerHandle, startRedis } from '../test/helpers/redisServer.js';
import type { SuiteContext } from './suite.js';

/**
 * Starts redis-server on a free loopback port, or reports `<name>` as skipped and returns
 * `undefined` when it cannot be started.
 */
export async function startBenchRedis(
  ctx: SuiteContext,
  name: string,
  title: string,
): Promise<RedisServerHandle | undefined> {
  let server: RedisServerHandle | undefined;
  try {
    server = await startRedis();
  } catch (error) {
    ctx.log(`!!! could not start redis-server: ${String(error)}`);
  }
  if (server === undefined) {
    const banner = `redis-server NOT FOUND on PATH (apt-get install -y redis-server): SKIPPING ${title}`;
    ctx.log(`!!! ${banner}`);
    ctx.report(name, `${title} (skipped)`, `**${banner}.**`);
  }
  return server;
}
