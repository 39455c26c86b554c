// Starts examples/express-auth the way `npm run example:express-auth` does, plus `--trace-gc`
// (see gc.ts): `node --trace-gc --import tsx examples/express-auth/server.ts`, in its own process
// group so that one signal reaches the primary and every worker. Every output line goes to the
// caller (test/helpers/exampleProcess.ts keeps only the first 50 kB, which the GC trace fills).
import { type ChildProcess, spawn } from 'node:child_process';
import { REPO_ROOT } from '../machine.js';

export type RunningExample = {
  readonly child: ChildProcess;
  readonly primaryPid: number;
  /** `http://127.0.0.1:PORT` of the public listener. */
  readonly url: string;
  /** `http://127.0.0.1:PORT` of the admin listener (stats JSON at `/`). */
  readonly adminUrl: string;
  /** SIGTERM to the primary; resolves with how it exited, SIGKILLs the group after `timeoutMs`. */
  stop(timeoutMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILL to the whole process group (a no-op once the primary exited). */
  killGroup(): void;
};

export type StartExampleOptions = {
  readonly env: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  readonly onStdout: (line: string) => void;
  readonly onStderr: (line: string) => void;
};

/** Calls `onLine` with each complete line of `stream`. */
function lines(stream: NodeJS.ReadableStream | null, onLine: (line: string) => void): void {
  let rest = '';
  stream?.setEncoding('utf8');
  stream?.on('data', (chunk: string) => {
    const parts = (rest + chunk).split('\n');
    rest = parts.pop() ?? '';
    for (const line of parts) onLine(line);
  });
  stream?.on('end', () => {
    if (rest !== '') onLine(rest);
  });
}

/**
 * Spawns the example and resolves once it printed both its admin and its public address.
 *
 * @throws Error with its last output when it exits first or prints nothing within `timeoutMs`.
 */
export function startExpressAuth(options: StartExampleOptions): Promise<RunningExample> {
  const child = spawn(
    process.execPath,
    ['--trace-gc', '--import', 'tsx', 'examples/express-auth/server.ts'],
    {
      cwd: REPO_ROOT,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, HOST: '127.0.0.1', ADMIN_PORT: '0', ...options.env },
    },
  );
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const killGroup = (): void => {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  const tail: string[] = [];
  let url: string | undefined;
  let adminUrl: string | undefined;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      killGroup();
      reject(
        new Error(`express-auth printed no addresses within ${options.timeoutMs} ms:\n${tail.join('\n')}`),
      );
    }, options.timeoutMs);
    const settleIfReady = (): void => {
      if (url === undefined || adminUrl === undefined || child.pid === undefined) return;
      clearTimeout(timer);
      resolve({
        child,
        primaryPid: child.pid,
        url,
        adminUrl,
        killGroup,
        async stop(timeoutMs) {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
          let kill: NodeJS.Timeout | undefined;
          const late = new Promise<never>((_, rejectLate) => {
            kill = setTimeout(() => {
              killGroup();
              rejectLate(new Error(`express-auth did not exit within ${timeoutMs} ms of SIGTERM`));
            }, timeoutMs);
          });
          try {
            return await Promise.race([exited, late]);
          } finally {
            clearTimeout(kill);
          }
        },
      });
    };
    lines(child.stdout, (line) => {
      options.onStdout(line);
      if (!line.startsWith('[')) {
        tail.push(line);
        if (tail.length > 40) tail.shift();
      }
      adminUrl ??= /admin on (http:\/\/[\d.]+:\d+)/.exec(line)?.[1];
      url ??= /listening on (http:\/\/[\d.]+:\d+)/.exec(line)?.[1];
      settleIfReady();
    });
    lines(child.stderr, (line) => {
      options.onStderr(line);
      tail.push(line);
      if (tail.length > 40) tail.shift();
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`express-auth exited (${code ?? signal}) before listening:\n${tail.join('\n')}`));
    });
  });
}
