// Spawns a cluster fixture as a primary process (its own process group, so afterAll can kill the
// primary and every worker it forked with one signal) and collects the events it reports over IPC.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

export type PrimaryEvent = {
  readonly event: string;
  readonly payload: Record<string, unknown>;
  readonly at: number;
};

export type PrimaryHandle = {
  readonly child: ChildProcess;
  readonly events: PrimaryEvent[];
  /** Resolves with the first event (already received or future) matching; rejects after `timeoutMs`. */
  waitFor(
    event: string,
    predicate?: (payload: Record<string, unknown>) => boolean,
    timeoutMs?: number,
  ): Promise<Record<string, unknown>>;
  /** Like waitFor, but only events that arrive after the call. */
  next(
    event: string,
    predicate?: (payload: Record<string, unknown>) => boolean,
    timeoutMs?: number,
  ): Promise<Record<string, unknown>>;
  send(message: unknown): void;
  stats(): Promise<Record<string, unknown>>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  /** SIGKILL the whole process group (primary and workers). */
  killAll(): void;
  stderr(): string;
};

const live = new Set<PrimaryHandle>();

export function fixturePath(name: string): string {
  return fileURLToPath(new URL(`../fixtures/cluster/${name}`, import.meta.url));
}

export function startPrimary(fixture: string, env: Record<string, string> = {}): PrimaryHandle {
  const child = spawn(process.execPath, [fixturePath(fixture)], {
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    detached: true,
    cwd: fileURLToPath(new URL('../..', import.meta.url)),
    env: { ...process.env, ...env },
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    if (stderr.length < 20_000) stderr += chunk;
  });
  const events: PrimaryEvent[] = [];
  const listeners = new Set<(e: PrimaryEvent) => void>();
  child.on('message', (m: { event?: string; payload?: Record<string, unknown> }) => {
    if (typeof m?.event !== 'string') return;
    const e = { event: m.event, payload: m.payload ?? {}, at: performance.now() };
    events.push(e);
    for (const l of [...listeners]) l(e);
  });
  const exited = once(child, 'exit').then(([code, signal]) => ({
    code: code as number | null,
    signal: signal as NodeJS.Signals | null,
    at: performance.now(),
  }));
  const wait = (
    fromIndex: number,
    event: string,
    predicate: (p: Record<string, unknown>) => boolean = () => true,
    timeoutMs = 20_000,
  ): Promise<Record<string, unknown>> => {
    const found = events.slice(fromIndex).find((e) => e.event === event && predicate(e.payload));
    if (found) return Promise.resolve(found.payload);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        listeners.delete(listener);
        reject(
          new Error(
            `timed out waiting for ${event}; got: ${events.map((e) => e.event).join(', ')}; stderr: ${stderr.slice(0, 2000)}`,
          ),
        );
      }, timeoutMs);
      const listener = (e: PrimaryEvent): void => {
        if (e.event !== event || !predicate(e.payload)) return;
        clearTimeout(timer);
        listeners.delete(listener);
        resolve(e.payload);
      };
      listeners.add(listener);
    });
  };
  const handle: PrimaryHandle = {
    child,
    events,
    waitFor: (event, predicate, timeoutMs) => wait(0, event, predicate, timeoutMs),
    next: (event, predicate, timeoutMs) => wait(events.length, event, predicate, timeoutMs),
    send: (message) => child.send(message as never),
    async stats() {
      const p = wait(events.length, 'stats');
      child.send({ cmd: 'stats' });
      return p;
    },
    exited,
    killAll() {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // group already gone
      }
    },
    stderr: () => stderr,
  };
  live.add(handle);
  return handle;
}

/** Kills every primary (and its workers) started by this file; call in afterAll/afterEach. */
export function killAllPrimaries(): void {
  for (const handle of live) handle.killAll();
  live.clear();
}
