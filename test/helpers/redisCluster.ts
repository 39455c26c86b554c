/**
 * Starts a throwaway local Redis Cluster: three masters (`redis-server --cluster-enabled yes` on
 * free loopback ports, built on ./redisServer.ts), joined and given all 16 384 slots by
 * `redis-cli --cluster create` when `redis-cli` is on PATH, else by `CLUSTER ADDSLOTSRANGE` and
 * `CLUSTER MEET` sent with ioredis. Resolves once every node reports `cluster_state:ok`.
 *
 * Each node's cluster bus port is picked free too (`--cluster-port`), so ports above 55 535 are
 * fine. The nodes' cluster config files live in a temporary directory removed by `stop()`.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { getFreePort, type RedisServerHandle, startRedis } from './redisServer.js';

const SLOTS = 16_384;
const execFileAsync = promisify(execFile);

/** A running local cluster. */
export type RedisClusterHandle = {
  /** The masters, ready for `new Cluster(cluster.nodes)`. */
  readonly nodes: readonly { readonly host: string; readonly port: number }[];
  /** The servers. */
  readonly servers: readonly RedisServerHandle[];
  /** Stops every node and removes the config directory. Idempotent. */
  stop(): Promise<void>;
};

/** Options of {@link startRedisCluster}. */
export type StartRedisClusterOptions = {
  /** Number of masters. @default 3 */
  readonly masters?: number;
  /** How long to wait for `cluster_state:ok`. @default 20_000 */
  readonly readyTimeoutMs?: number;
  /** Join with ioredis commands even when redis-cli exists (to test that path). @default false */
  readonly withoutRedisCli?: boolean;
};

function findOnPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here; keep looking
    }
  }
  return undefined;
}

/**
 * Starts a local Redis Cluster of `masters` nodes.
 * @returns the running cluster, or `undefined` when `redis-server` is not on PATH.
 */
export async function startRedisCluster(
  options: StartRedisClusterOptions = {},
): Promise<RedisClusterHandle | undefined> {
  const masters = options.masters ?? 3;
  const readyTimeoutMs = options.readyTimeoutMs ?? 20_000;
  const dir = mkdtempSync(join(tmpdir(), 'loadstone-redis-cluster-'));
  const servers: RedisServerHandle[] = [];
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= Promise.all(servers.map((s) => s.stop())).then(() =>
      rmSync(dir, { recursive: true, force: true }),
    );
    return stopped;
  };
  try {
    for (let i = 0; i < masters; i++) {
      const server = await startClusterNode(dir);
      if (server === undefined) {
        await stop();
        return undefined;
      }
      servers.push(server.handle);
      busPorts.set(server.handle.port, server.busPort);
    }
    const redisCli = options.withoutRedisCli === true ? undefined : findOnPath('redis-cli');
    if (redisCli !== undefined) {
      await execFileAsync(redisCli, [
        '--cluster',
        'create',
        ...servers.map((s) => `${s.host}:${s.port}`),
        '--cluster-replicas',
        '0',
        '--cluster-yes',
      ]);
    } else {
      await joinWithCommands(servers);
    }
    await waitForClusterOk(servers, readyTimeoutMs);
    return { nodes: servers.map((s) => ({ host: s.host, port: s.port })), servers, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

const busPorts = new Map<number, number>();

async function startClusterNode(
  dir: string,
): Promise<{ handle: RedisServerHandle; busPort: number } | undefined> {
  let lastError: unknown;
  for (let attempt = 1; attempt <= 3; attempt++) {
    const port = await getFreePort();
    const busPort = await getFreePort();
    try {
      const handle = await startRedis({
        port,
        extraArgs: [
          '--cluster-enabled',
          'yes',
          '--cluster-port',
          String(busPort),
          '--cluster-config-file',
          join(dir, `nodes-${port}.conf`),
          '--cluster-node-timeout',
          '5000',
        ],
      });
      return handle === undefined ? undefined : { handle, busPort };
    } catch (error) {
      lastError = error;
      if (!/address already in use/i.test(String((error as Error).message))) throw error;
    }
  }
  throw lastError;
}

/** The redis-cli-free path: spread the slots, then introduce every node to the first. */
async function joinWithCommands(servers: readonly RedisServerHandle[]): Promise<void> {
  const clients = servers.map((s) => new Redis(s.port, s.host));
  try {
    const per = Math.ceil(SLOTS / servers.length);
    await Promise.all(
      clients.map((client, i) =>
        client.call('CLUSTER', 'ADDSLOTSRANGE', String(i * per), String(Math.min(SLOTS, (i + 1) * per) - 1)),
      ),
    );
    const first = servers[0] as RedisServerHandle;
    await Promise.all(
      clients
        .slice(1)
        .map((client) =>
          client.call('CLUSTER', 'MEET', first.host, String(first.port), String(busPorts.get(first.port))),
        ),
    );
  } finally {
    for (const client of clients) client.disconnect();
  }
}

async function waitForClusterOk(servers: readonly RedisServerHandle[], timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  const clients = servers.map((s) => new Redis(s.port, s.host));
  try {
    for (;;) {
      const infos = await Promise.all(clients.map((c) => c.call('CLUSTER', 'INFO') as Promise<string>));
      const known = await Promise.all(clients.map((c) => c.call('CLUSTER', 'NODES') as Promise<string>));
      const ok = infos.every((info) => /cluster_state:ok/.test(info));
      const meshed = known.every((nodes) => nodes.trim().split('\n').length === servers.length);
      if (ok && meshed) return;
      if (performance.now() > deadline)
        throw new Error(`cluster not ready within ${timeoutMs} ms:\n${infos.join('\n')}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    for (const client of clients) client.disconnect();
  }
}
