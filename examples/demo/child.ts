// Starting and stopping the express-auth example as a child process. Each server runs in its own
// process group (`detached`), so its supervisor and every worker it forks can be signalled as one:
// SIGTERM to the primary for a graceful stop, then SIGKILL to the whole group if anything is still
// there. A Ctrl-C of the demo does not reach the group (it is not in the terminal's foreground
// group), so the demo forwards it itself: see `stopAllOnSignals`.
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const SERVER = fileURLToPath(new URL('../express-auth/server.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export type Server = {
  readonly child: ChildProcess;
  /** The primary's pid, which is also the process group id. */
  readonly pid: number;
  /** Public port (`listening on http://…`). */
  readonly port: number;
  /** `http://127.0.0.1:PORT` of the admin listener (`admin on http://…`). */
  readonly adminUrl: string;
  /** Everything the server printed so far (capped), to explain a failure. */
  output(): string;
};

const running = new Set<Server>();

/**
 * The live processes of the group `pgid` (zombies excluded: they have exited and only wait to be
 * reaped). Reads /proc on Linux; elsewhere, `[pgid]` if signal 0 reaches anyone in the group.
 */
export function groupMembers(pgid: number): number[] {
  try {
    const members: number[] = [];
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        // `pid (comm) state ppid pgrp …`; comm may contain spaces and parentheses.
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        if (Number(pgrp) === pgid && state !== 'Z') members.push(Number(entry));
      } catch {
        // exited while we looked
      }
    }
    return members;
  } catch {
    try {
      process.kill(-pgid, 0);
      return [pgid];
    } catch {
      return [];
    }
  }
}

function killGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // the group is already gone
  }
}

/** The demo's environment plus `env`, without REDIS_URL: the demo runs on embedded defaults. */
function embedded(env: Record<string, string>): NodeJS.ProcessEnv {
  const { REDIS_URL: _ignored, ...inherited } = process.env;
  return { ...inherited, ...env };
}

/**
 * Spawns `node --import tsx examples/express-auth/server.ts` with `env` on top of the demo's
 * environment, and resolves once it printed both of its addresses (it prints them when ready).
 */
export async function startServer(env: Record<string, string>, timeoutMs = 30_000): Promise<Server> {
  const child = spawn(process.execPath, ['--import', 'tsx', SERVER], {
    cwd: ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: embedded(env),
  });
  if (child.pid === undefined) throw new Error('could not spawn the express-auth example');
  const pid = child.pid;
  let output = '';
  const append = (chunk: string) => {
    if (output.length < 20_000) output += chunk;
  };
  child.stdout?.setEncoding('utf8').on('data', append);
  child.stderr?.setEncoding('utf8').on('data', append);
  // Registered before it listens, so a Ctrl-C during start-up stops it too.
  const pending: Server = { child, pid, port: 0, adminUrl: '', output: () => output };
  running.add(pending);

  try {
    const { port, adminUrl } = await new Promise<{ port: number; adminUrl: string }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no address within ${timeoutMs} ms`)), timeoutMs);
      const check = () => {
        const listening = /listening on http:\/\/[\d.]+:(\d+)/.exec(output);
        const admin = /admin on (http:\/\/[\d.]+:\d+)/.exec(output);
        if (listening?.[1] && admin?.[1]) {
          clearTimeout(timer);
          child.stdout?.off('data', check);
          resolve({ port: Number(listening[1]), adminUrl: admin[1] });
        }
      };
      child.stdout?.on('data', check);
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`exited (${code ?? signal}) before listening`));
      });
    });
    running.delete(pending);
    const server: Server = { child, pid, port, adminUrl, output: () => output };
    running.add(server);
    return server;
  } catch (error) {
    running.delete(pending);
    killGroup(pid, 'SIGKILL');
    throw new Error(`express-auth: ${(error as Error).message}\n${output}`);
  }
}

export type Stopped = {
  /** The primary's exit code (`null` if it had to be killed). */
  readonly code: number | null;
  /** Processes of the group still alive after the primary exited, then SIGKILLed (none, normally). */
  readonly stragglers: readonly number[];
};

/** SIGTERM to the primary (graceful: workers drain, exit 0), then SIGKILL the group after `graceMs`. */
export async function stopServer(server: Server, graceMs = 10_000): Promise<Stopped> {
  const { child } = server;
  const exited = new Promise<number | null>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const code = await Promise.race([
    exited,
    new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), graceMs);
    }),
  ]);
  clearTimeout(timer);
  running.delete(server);
  // The primary waits for its workers before it exits; give their exit a moment to complete, then
  // anything left in the group is a straggler.
  for (let i = 0; i < 20 && groupMembers(server.pid).length > 0; i++) await sleep(50);
  const stragglers = groupMembers(server.pid);
  if (stragglers.length > 0) killGroup(server.pid, 'SIGKILL');
  return { code: code === 'timeout' ? null : code, stragglers };
}

/**
 * On SIGINT/SIGTERM of the demo: SIGTERM every running server's primary, SIGKILL their groups
 * after 3 s (or at once on a second Ctrl-C), run `cleanup`, exit 130. On any exit, SIGKILL
 * whatever group is left, so even a crash of the demo leaves no process behind.
 */
let interrupted = false;

/** Whether the demo was interrupted (its servers are being stopped; failures are expected). */
export function isInterrupted(): boolean {
  return interrupted;
}

export function stopAllOnSignals(cleanup: () => void): void {
  const onSignal = () => {
    if (interrupted) {
      for (const server of running) killGroup(server.pid, 'SIGKILL');
      process.exit(130);
    }
    interrupted = true;
    process.stderr.write('\ninterrupted: stopping the servers …\n');
    const stops = [...running].map((server) => stopServer(server, 3_000));
    Promise.all(stops).finally(() => {
      cleanup();
      process.exit(130);
    });
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('exit', () => {
    for (const server of running) killGroup(server.pid, 'SIGKILL');
  });
}
