// The demo's load generator: `connections` loops over one keep-alive `http.Agent`, no retries, so
// every request ends as exactly one outcome: 2xx, 429 (the login rate limiter: expected, counted
// apart), another 4xx, 5xx, a client timeout, or a connection error by code (ECONNRESET,
// ECONNREFUSED, socket hang up …). Nothing is hidden by a retry, which is what makes "0 errors
// during the reload" mean something. Node's agent honours `Connection: close` from a draining
// worker and opens a fresh socket for the next request, as a spec-following client does.
import { Agent, request } from 'node:http';
import { LatencyRecorder, type LatencySnapshot } from 'loadstone';
import type { Timeline } from './timeline.js';

/** One request of the mix. */
export type Call = { readonly method: 'GET' | 'POST'; readonly path: string; readonly body?: unknown };

export type Counts = {
  sent: number;
  ok: number;
  /** 429 answers (rate limiter): expected behaviour, not errors. */
  rateLimited: number;
  /** Other 4xx answers (a bug in the mix or the server). */
  clientErrors: number;
  /** 5xx answers, including 503 from load shedding. */
  serverErrors: number;
  /** Of `serverErrors`, the 503s with Retry-After: load shedding (the worker's health is critical). */
  shed: number;
  timeouts: number;
  /** Connection-level failures by code (ECONNRESET, ECONNREFUSED, socket hang up …). */
  connectionErrors: Record<string, number>;
  /** 2xx answers per `x-worker` response header (`w0`, `w1` …). */
  byWorker: Record<string, number>;
};

/** What happened between two {@link LoadRun.cut} calls. */
export type Window = {
  readonly counts: Counts;
  readonly latency: LatencySnapshot;
  readonly seconds: number;
};

export type LoadRun = {
  /** Live running totals since the start, across windows (for a progress line). */
  readonly totals: { readonly answered: number; readonly failed: number };
  /** Closes the current window and starts the next one. */
  cut(): Window;
  /**
   * Paces the loops to `perSecond` requests in total (at most; fewer if the server is slower),
   * or lets them run flat out again with `undefined` (the default).
   */
  pace(perSecond: number | undefined): void;
  /** Stops issuing requests; resolves with the last window once every request in flight ended. */
  stop(): Promise<Window>;
};

/** Requests that did not succeed and are not the rate limiter doing its job. */
export function failures(c: Counts): number {
  const connection = Object.values(c.connectionErrors).reduce((a, b) => a + b, 0);
  return c.clientErrors + c.serverErrors + c.timeouts + connection;
}

function emptyCounts(): Counts {
  return {
    sent: 0,
    ok: 0,
    rateLimited: 0,
    clientErrors: 0,
    serverErrors: 0,
    shed: 0,
    timeouts: 0,
    connectionErrors: {},
    byWorker: {},
  };
}

/** Sends one request and resolves with its status, or rejects with the connection error. */
export function send(
  agent: Agent,
  port: number,
  call: Call,
  timeoutMs: number,
): Promise<{ status: number; worker: string | undefined; retryAfter: boolean; body: string }> {
  return new Promise((resolve, reject) => {
    const payload = call.body === undefined ? undefined : JSON.stringify(call.body);
    const req = request(
      {
        agent,
        host: '127.0.0.1',
        port,
        method: call.method,
        path: call.path,
        headers: payload === undefined ? {} : { 'content-type': 'application/json' },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          if (body.length < 4096) body += chunk;
        });
        res.on('end', () => {
          const worker = res.headers['x-worker'];
          resolve({
            status: res.statusCode ?? 0,
            worker: typeof worker === 'string' ? worker : undefined,
            retryAfter: res.headers['retry-after'] !== undefined,
            body,
          });
        });
        res.on('error', reject);
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
    req.on('error', reject);
    req.end(payload);
  });
}

/**
 * Starts `connections` loops, each sending `next()`'s request as soon as its previous one ended,
 * until {@link LoadRun.stop}.
 */
export function startLoad(options: {
  readonly port: number;
  readonly connections: number;
  readonly next: () => Call;
  readonly timeoutMs?: number;
  /** Gets every answer and failure as it arrives, for the report's charts. */
  readonly timeline?: Timeline;
}): LoadRun {
  const agent = new Agent({ keepAlive: true, maxSockets: options.connections });
  const timeoutMs = options.timeoutMs ?? 5_000;
  let counts = emptyCounts();
  let latency = new LatencyRecorder();
  let windowStart = performance.now();
  let stopped = false;
  const totals = { answered: 0, failed: 0 };
  let intervalMs: number | undefined;
  let nextAt = 0;

  const one = async (): Promise<void> => {
    counts.sent++;
    const started = performance.now();
    // An outcome counts in the window it arrived in, so a failure caused by the reload can never
    // be booked before the SIGHUP.
    try {
      const { status, worker, retryAfter } = await send(agent, options.port, options.next(), timeoutMs);
      const c = counts;
      const tookMs = performance.now() - started;
      latency.record(tookMs);
      totals.answered++;
      const failed = status >= 500 || (status >= 400 && status !== 429);
      if (failed) totals.failed++;
      options.timeline?.record(tookMs, failed);
      if (status >= 200 && status < 300) {
        c.ok++;
        if (worker !== undefined) c.byWorker[worker] = (c.byWorker[worker] ?? 0) + 1;
      } else if (status === 429) c.rateLimited++;
      else if (status >= 500) {
        c.serverErrors++;
        if (status === 503 && retryAfter) c.shed++;
      } else c.clientErrors++;
    } catch (error) {
      const c = counts;
      totals.failed++;
      options.timeline?.record(performance.now() - started, true);
      const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      if (code === 'TIMEOUT') c.timeouts++;
      else c.connectionErrors[code] = (c.connectionErrors[code] ?? 0) + 1;
    }
  };
  const loop = async (): Promise<void> => {
    while (!stopped) {
      if (intervalMs !== undefined) {
        // One shared schedule for all loops: each takes the next slot. A loop that fell behind
        // does not send a burst to catch up.
        const now = performance.now();
        nextAt = Math.max(nextAt + intervalMs, now);
        if (nextAt > now) await new Promise((resolve) => setTimeout(resolve, nextAt - now));
        if (stopped) break;
      }
      await one();
    }
  };
  const loops = Array.from({ length: options.connections }, loop);

  const cut = (): Window => {
    const now = performance.now();
    const window: Window = { counts, latency: latency.snapshot(), seconds: (now - windowStart) / 1000 };
    counts = emptyCounts();
    latency = new LatencyRecorder();
    windowStart = now;
    return window;
  };
  return {
    totals,
    cut,
    pace(perSecond) {
      intervalMs = perSecond === undefined ? undefined : 1000 / perSecond;
      nextAt = performance.now();
    },
    async stop() {
      stopped = true;
      await Promise.all(loops);
      agent.destroy();
      return cut();
    },
  };
}
