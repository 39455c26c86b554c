/**
 * Starts and stops a throwaway `redis-server` on a loopback port, with no vitest dependency, so
 * the benchmarks can use it too (test/helpers/redis.ts adds `describeWithRedis` for test suites).
 *
 * - `startRedis()` starts one and resolves once it accepts connections; `stop()` kills it and waits for exit.
 * - `redisAvailability()` says whether `redis-server` is on PATH, and what a suite should do without it.
 *
 * Nothing is persisted (`--save '' --appendonly no`, working dir in the OS temp dir) and the server binds only
 * to 127.0.0.1.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { accessSync, constants, statSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

/** A running `redis-server` child process. */
export type RedisServerHandle = {
  /** Always `127.0.0.1`. */
  readonly host: string;
  /** The TCP port it listens on. */
  readonly port: number;
  /** `redis://127.0.0.1:<port>`, ready for `new Redis(url)`. */
  readonly url: string;
  /** The child's process id. */
  readonly pid: number;
  /** Kills the server (SIGTERM, then SIGKILL after a grace period) and resolves once it has exited. Idempotent. */
  stop(): Promise<void>;
};

export type StartRedisOptions = {
  /**
   * The port to listen on, e.g. to bring "the same" server back after stopping it. Started once,
   * with no retry if the port is taken. @default a free port picked by the OS
   */
  readonly port?: number;
  /** How long to wait for "Ready to accept connections". @default 10_000 */
  readonly readyTimeoutMs?: number;
  /** Environment used to look up `redis-server` on PATH. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** More `redis-server` arguments, appended after the defaults (e.g. cluster mode). @default [] */
  readonly extraArgs?: readonly string[];
};

const HOST = '127.0.0.1';
const READY_LINE = /Ready to accept connections/;
const STOP_GRACE_MS = 5_000;
/** Free-port picking is racy (another process may grab the port before redis binds it), so retry a few times. */
const START_ATTEMPTS = 3;

export const INSTALL_HINT = 'apt-get install -y redis-server';

/** Absolute path of the first executable `redis-server` on `env.PATH`, or `undefined`. */
export function findRedisServer(env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, 'redis-server');
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not here; keep looking
    }
  }
  return undefined;
}

/** True when running under CI (`CI=true` or `CI=1`). */
export function isCI(env: NodeJS.ProcessEnv = process.env): boolean {
  const ci = env.CI?.toLowerCase();
  return ci === 'true' || ci === '1';
}

/**
 * What `describeWithRedis` does in this environment: `run` with the binary, `skip` when it is missing locally,
 * `fail` when it is missing under CI.
 */
export function redisAvailability(
  env: NodeJS.ProcessEnv = process.env,
): { readonly mode: 'run'; readonly bin: string } | { readonly mode: 'skip' | 'fail' } {
  const bin = findRedisServer(env);
  if (bin !== undefined) return { mode: 'run', bin };
  return { mode: isCI(env) ? 'fail' : 'skip' };
}

/** Asks the OS for a free port on 127.0.0.1 by listening on port 0, then releases it. */
export async function getFreePort(): Promise<number> {
  const server = createServer();
  server.listen(0, HOST);
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (address === null || typeof address === 'string') throw new Error('could not read the free port');
  return address.port;
}

/**
 * Starts `redis-server` on a loopback port (`options.port`, or a free one) and resolves once it
 * accepts connections.
 *
 * @returns the running server, or `undefined` when `redis-server` is not on PATH.
 * @throws when the server exits early or is not ready within `readyTimeoutMs` (the error carries its output).
 */
export async function startRedis(options: StartRedisOptions = {}): Promise<RedisServerHandle | undefined> {
  const bin = findRedisServer(options.env ?? process.env);
  if (bin === undefined) return undefined;
  const readyTimeoutMs = options.readyTimeoutMs ?? 10_000;
  const extraArgs = options.extraArgs ?? [];
  if (options.port !== undefined) return startOn(bin, options.port, readyTimeoutMs, extraArgs);
  let lastError: unknown;
  for (let attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
    const port = await getFreePort();
    try {
      return await startOn(bin, port, readyTimeoutMs, extraArgs);
    } catch (error) {
      lastError = error;
      // Only a lost race for the port is worth retrying.
      if (!/address already in use/i.test(String((error as Error).message))) throw error;
    }
  }
  throw lastError;
}

async function startOn(
  bin: string,
  port: number,
  readyTimeoutMs: number,
  extraArgs: readonly string[] = [],
): Promise<RedisServerHandle> {
  const args = ['--port', String(port), '--bind', HOST, '--save', '', '--appendonly', 'no'];
  // Keep it from writing anything into the repo, and from outliving us as a daemon.
  args.push('--dir', tmpdir(), '--daemonize', 'no', '--loglevel', 'notice', ...extraArgs);
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  // Settles on exit, or on a spawn failure (which emits 'error' and never 'exit').
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
  // If the test process dies without calling stop(), don't leave the server behind.
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);

  let output = '';
  const ready = new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      if (READY_LINE.test(output)) resolve();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      reject(
        new Error(`redis-server exited before it was ready (code ${code}, signal ${signal}):\n${output}`),
      );
    });
  });

  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`redis-server was not ready within ${readyTimeoutMs} ms:\n${output}`)),
      readyTimeoutMs,
    );
  });

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= stopChild(child, exited).finally(() => process.removeListener('exit', killOnExit));
    return stopping;
  };

  try {
    await Promise.race([ready, timeout]);
    await ping(port);
  } catch (error) {
    await stop();
    throw error;
  } finally {
    clearTimeout(timer);
  }
  // Drain the pipes so a chatty server never blocks on a full buffer.
  child.stdout?.resume();
  child.stderr?.resume();

  if (child.pid === undefined) throw new Error('redis-server has no pid');
  return { host: HOST, port, url: `redis://${HOST}:${port}`, pid: child.pid, stop };
}

async function stopChild(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const grace = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
  try {
    await exited;
  } finally {
    clearTimeout(grace);
  }
}

/** One raw RESP `PING`, to confirm the port really answers (the log line alone could come from a config error). */
async function ping(port: number): Promise<void> {
  const socket = createConnection({ host: HOST, port });
  try {
    await once(socket, 'connect');
    socket.write('PING\r\n');
    let reply = '';
    for await (const chunk of socket) {
      reply += String(chunk);
      if (reply.includes('\r\n')) break;
    }
    if (!reply.startsWith('+PONG')) throw new Error(`unexpected reply to PING: ${JSON.stringify(reply)}`);
  } finally {
    socket.destroy();
  }
}
