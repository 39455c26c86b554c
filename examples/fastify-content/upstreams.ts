// The upstream services this content service calls, and the pooled connections it calls them
// over. The three servers are STAND-INS started inside the example process on 127.0.0.1, so the
// example runs with no setup; in production they are other hosts and only `startStandIns` goes.
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** How a stand-in behaves, so the balancer and the breakers have something to react to. */
export type Behaviour = 'fast' | 'slow' | 'flaky';

export type StandIn = {
  readonly id: string;
  readonly origin: string;
  close(): Promise<void>;
};

/** A non-2xx answer. 4xx is the caller's fault, not the upstream's (see `isUpstreamFailure`). */
export class UpstreamError extends Error {
  constructor(
    readonly upstream: string,
    readonly status: number,
  ) {
    super(`upstream ${upstream} answered ${status}`);
  }
}

/** Whether an error says something about the upstream's health (for breakers and outlier detection). */
export function isUpstreamFailure(error: unknown): boolean {
  return !(error instanceof UpstreamError && error.status < 500);
}

async function startStandIn(id: string, behaviour: Behaviour): Promise<StandIn> {
  let requests = 0;
  const server = http.createServer((req, res) => {
    requests++;
    // Flaky: two requests in three fail, fast (which is what makes a breaker worth having).
    if (behaviour === 'flaky' && requests % 3 !== 0) {
      res.writeHead(503).end();
      return;
    }
    const path = new URL(req.url ?? '/', 'http://upstream').pathname;
    const body = JSON.stringify({ upstream: id, path, items: [`${path.split('/').pop()}-related`] });
    // Slow: a steady 60 ms, which peak-EWMA learns and routes around.
    setTimeout(
      () => res.writeHead(200, { 'content-type': 'application/json' }).end(body),
      behaviour === 'slow' ? 60 : 2,
    );
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    id,
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Starts the stand-ins: `recs-a` fast, `recs-b` slow, `recs-c` flaky. */
export function startStandIns(): Promise<StandIn[]> {
  return Promise.all([
    startStandIn('recs-a', 'fast'),
    startStandIn('recs-b', 'slow'),
    startStandIn('recs-c', 'flaky'),
  ]);
}

/**
 * One pooled upstream connection: a keep-alive agent capped at one socket, so the pool's `max`
 * is the number of sockets open to that upstream.
 */
export function openConnection(): http.Agent {
  return new http.Agent({ keepAlive: true, maxSockets: 1 });
}

/** GETs `origin + path` over `connection` and parses the JSON body. */
export function getJson(
  upstream: string,
  origin: string,
  path: string,
  connection: http.Agent,
  signal: AbortSignal,
): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = http.get(`${origin}${path}`, { agent: connection, signal }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (chunk: string) => {
        text += chunk;
      });
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        if (status < 200 || status >= 300) reject(new UpstreamError(upstream, status));
        else resolve(JSON.parse(text) as unknown);
      });
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}
