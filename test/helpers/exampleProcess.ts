// Starts an example (`examples/<name>/<entry>`) the way `npm run example:<name>` does, as a child
// process in its own process group, waits for the addresses it prints, and stops it with SIGTERM.
// Examples print `listening on http://HOST:PORT` once they serve, and `admin on http://HOST:PORT`
// when they have a private listener for /metrics and detailed health.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export type ExampleHandle = {
  readonly child: ChildProcess;
  /** `http://127.0.0.1:PORT` of the public listener. */
  readonly url: string;
  /** `http://127.0.0.1:PORT` of the admin listener, when the example printed one. */
  readonly adminUrl: string | undefined;
  /** Everything written to stdout and stderr so far (capped), for assertion messages. */
  output(): string;
  /** Sends SIGTERM to the example's main process and resolves with how it exited. */
  stop(timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILLs the whole process group (afterAll safety net; a no-op once it exited). */
  killAll(): void;
};

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const live = new Set<ExampleHandle>();

/**
 * Spawns `node --import tsx examples/<name>/<entry>` with `PORT=0 ADMIN_PORT=0` (plus `env`) and
 * resolves once it printed its public address; rejects with its output if it exits first or
 * prints nothing within `timeoutMs`.
 */
export async function startExample(
  name: string,
  options: { entry?: string; env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<ExampleHandle> {
  const entry = options.entry ?? 'server.ts';
  const child = spawn(process.execPath, ['--import', 'tsx', `examples/${name}/${entry}`], {
    cwd: ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, HOST: '127.0.0.1', PORT: '0', ADMIN_PORT: '0', ...options.env },
  });
  let output = '';
  const append = (chunk: string) => {
    if (output.length < 50_000) output += chunk;
  };
  child.stdout?.setEncoding('utf8').on('data', append);
  child.stderr?.setEncoding('utf8').on('data', append);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );

  const killAll = () => {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  };

  const timeoutMs = options.timeoutMs ?? 30_000;
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      killAll();
      reject(new Error(`example ${name} printed no address within ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    const check = () => {
      const match = /listening on (http:\/\/[\d.]+:\d+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        child.stdout?.off('data', check);
        resolve(match[1]);
      }
    };
    child.stdout?.on('data', check);
    check();
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`example ${name} exited (${code ?? signal}) before listening:\n${output}`));
    });
  });
  const handle: ExampleHandle = {
    child,
    url,
    // A getter: the admin line may be printed just after the public one.
    get adminUrl() {
      return /admin on (http:\/\/[\d.]+:\d+)/.exec(output)?.[1];
    },
    output: () => output,
    killAll,
    async stop(stopTimeoutMs = 20_000) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          killAll();
          reject(new Error(`example ${name} did not exit within ${stopTimeoutMs} ms of SIGTERM:\n${output}`));
        }, stopTimeoutMs);
      });
      try {
        return await Promise.race([exited, timeout]);
      } finally {
        clearTimeout(timer);
        live.delete(handle);
      }
    },
  };
  live.add(handle);
  return handle;
}

/** SIGKILLs every example still running (call from afterAll). */
export function killAllExamples(): void {
  for (const handle of live) handle.killAll();
  live.clear();
}

/** Resolves once `url` answers at all (any status), polling every 50 ms, up to `timeoutMs`. */
export async function waitForHttp(url: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await fetch(url, { signal: AbortSignal.timeout(1_000) });
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
