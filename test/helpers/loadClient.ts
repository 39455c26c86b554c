// Keep-alive HTTP load with exact accounting (the anchors doc's `kaclient`): `connections`
// concurrent loops over one keep-alive `http.Agent`, no retries; every request ends as exactly one
// of 2xx / non-2xx / error (by code) / client timeout, so `sent === ok + non2xx + errors + timeouts`
// once stopped. Node's agent follows `Connection: close` (never reuses such a socket), like a
// spec-following client; autocannon does not (see the anchors doc §0).
import { Agent, request } from 'node:http';

export type LoadOptions = {
  readonly port: number;
  readonly host?: string;
  readonly path?: string;
  readonly connections?: number;
  /** Per-request timeout; counts as `timeouts`. */
  readonly timeoutMs?: number;
  /** Stop each loop after this many requests in total (bounds a test's request count). */
  readonly maxRequests?: number;
};

export type LoadResult = {
  sent: number;
  ok: number;
  non2xx: number;
  timeouts: number;
  errors: Record<string, number>;
  /** Milliseconds since start of each failure. */
  failureTimes: number[];
  /** 2xx responses per `x-pid` response header. */
  byPid: Record<string, number>;
  /** Responses that carried `Connection: close`. */
  connectionClose: number;
  durationMs: number;
};

export type LoadRun = {
  /** Live counters (read while running). */
  readonly result: LoadResult;
  /** Stops issuing requests and resolves once every request in flight ended. */
  stop(): Promise<LoadResult>;
  /** Resolves when the `n`-th response after now arrived (bounded by events, not sleeps). */
  responses(n: number): Promise<void>;
};

export function failedCount(r: LoadResult): number {
  return r.non2xx + r.timeouts + Object.values(r.errors).reduce((a, b) => a + b, 0);
}

export function startLoad(options: LoadOptions): LoadRun {
  const connections = options.connections ?? 20;
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const started = performance.now();
  const result: LoadResult = {
    sent: 0,
    ok: 0,
    non2xx: 0,
    timeouts: 0,
    errors: {},
    failureTimes: [],
    byPid: {},
    connectionClose: 0,
    durationMs: 0,
  };
  let stopped = false;
  let completed = 0;
  const waiters: { at: number; resolve: () => void }[] = [];

  const one = (): Promise<void> =>
    new Promise((resolve) => {
      result.sent++;
      let settled = false;
      const settle = (kind: 'ok' | 'non2xx' | 'timeout' | string): void => {
        if (settled) return;
        settled = true;
        if (kind === 'ok') result.ok++;
        else {
          if (kind === 'non2xx') result.non2xx++;
          else if (kind === 'timeout') result.timeouts++;
          else result.errors[kind] = (result.errors[kind] ?? 0) + 1;
          result.failureTimes.push(Math.round(performance.now() - started));
        }
        completed++;
        for (let i = waiters.length - 1; i >= 0; i--) {
          const w = waiters[i];
          if (w && completed >= w.at) {
            waiters.splice(i, 1);
            w.resolve();
          }
        }
        resolve();
      };
      const req = request(
        { agent, host: options.host ?? '127.0.0.1', port: options.port, path: options.path ?? '/' },
        (res) => {
          res.resume();
          res.on('end', () => {
            if (res.headers.connection === 'close') result.connectionClose++;
            const status = res.statusCode ?? 0;
            if (status >= 200 && status < 300) {
              const pid = String(res.headers['x-pid'] ?? '?');
              result.byPid[pid] = (result.byPid[pid] ?? 0) + 1;
              settle('ok');
            } else settle('non2xx');
          });
          res.on('error', (e: NodeJS.ErrnoException) => settle(e.code ?? e.message));
        },
      );
      req.setTimeout(options.timeoutMs ?? 5000, () => {
        settle('timeout');
        req.destroy();
      });
      req.on('error', (e: NodeJS.ErrnoException) => settle(e.code ?? e.message));
      req.end();
    });

  const loop = async (): Promise<void> => {
    while (!stopped && (options.maxRequests === undefined || result.sent < options.maxRequests)) {
      await one();
    }
  };
  const loops = Array.from({ length: connections }, loop);

  return {
    result,
    responses(n: number): Promise<void> {
      return new Promise((resolve) => waiters.push({ at: completed + n, resolve }));
    },
    async stop(): Promise<LoadResult> {
      stopped = true;
      await Promise.all(loops);
      result.durationMs = performance.now() - started;
      agent.destroy();
      for (const w of waiters.splice(0)) w.resolve();
      return result;
    },
  };
}
