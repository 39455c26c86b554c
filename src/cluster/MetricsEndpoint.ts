import { randomBytes } from 'node:crypto';
import {
  createServer,
  type Server as HttpServer,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AggregatedHealth, MetricsHistory } from '../health/index.js';
import type { ClusterStats } from './ClusterStats.js';
import type { ResolvedClusterSupervisorOptions } from './resolveClusterOptions.js';
import { carriesToken } from './status/adminAuth.js';
import { statusPageHtml } from './status/statusPageHtml.js';

/** What the endpoint serves. */
export type MetricsEndpointHost = {
  stats(): ClusterStats;
  health(): AggregatedHealth | undefined;
  readonly history: MetricsHistory | undefined;
};

type Options = NonNullable<ResolvedClusterSupervisorOptions['metrics']>;

/** Sent with every answer: nothing here may be cached, sniffed or framed. */
const COMMON_HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};

/**
 * The primary's admin endpoint (`metrics` option): the status page at `GET /` for a browser
 * (anything asking for `text/html`; other clients get the JSON stats there, as before),
 * `GET /stats.json` (stats and health), `GET /history.json?since=<ms>` (the history, version 1)
 * and `GET /metrics` (the registry's text when one is given, else the JSON stats).
 */
export class MetricsEndpoint {
  readonly #host: MetricsEndpointHost;
  #server: HttpServer | undefined;

  constructor(host: MetricsEndpointHost) {
    this.#host = host;
  }

  /** The address once it listens, else `undefined`. */
  get address(): AddressInfo | undefined {
    const address = this.#server?.address();
    return typeof address === 'object' && address !== null ? address : undefined;
  }

  async listen(options: Options): Promise<void> {
    const server = createServer((req, res) => this.#answer(req, res, options));
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.unref();
  }

  /** Resolves when the server closed (at once when it never listened). */
  close(): Promise<void> {
    return new Promise<void>((resolve) => {
      if (!this.#server) return resolve();
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }

  #answer(req: IncomingMessage, res: ServerResponse, options: Options): void {
    const url = parseTarget(req.url);
    const path = url?.pathname;
    if (url === undefined) res.writeHead(400, COMMON_HEADERS).end();
    else if (req.method !== 'GET' && req.method !== 'HEAD') res.writeHead(405, COMMON_HEADERS).end();
    else if (options.token !== undefined && !carriesToken(req, url, options.token)) {
      res.writeHead(401, { ...COMMON_HEADERS, 'www-authenticate': 'Bearer realm="loadstone"' }).end();
    } else if (path === '/' && (req.headers.accept ?? '').includes('text/html')) this.#page(res);
    else if (path === '/' || path === '/stats.json') this.#json(res, this.#stats());
    else if (path === '/history.json') this.#history(res, url);
    else if (path === '/metrics' && options.registry !== undefined) this.#exposition(res, options.registry);
    else if (path === '/metrics') this.#json(res, this.#stats());
    else res.writeHead(404, COMMON_HEADERS).end();
  }

  #exposition(res: ServerResponse, registry: NonNullable<Options['registry']>): void {
    registry.metrics().then(
      (text) => res.writeHead(200, { ...COMMON_HEADERS, 'content-type': registry.contentType }).end(text),
      (error: unknown) => {
        const message = error instanceof Error ? error.message : String(error);
        res
          .writeHead(500, { ...COMMON_HEADERS, 'content-type': 'text/plain; charset=utf-8' })
          .end(`${message}\n`);
      },
    );
  }

  #stats(): unknown {
    const health = this.#host.health();
    const stats = this.#host.stats();
    return health === undefined ? stats : { ...stats, health };
  }

  #history(res: ServerResponse, url: URL): void {
    const history = this.#host.history;
    if (history === undefined) {
      res.writeHead(404, COMMON_HEADERS).end();
      return;
    }
    const since = url.searchParams.get('since');
    const sinceMs = since === null ? undefined : Number(since);
    if (sinceMs !== undefined && !Number.isFinite(sinceMs)) {
      res.writeHead(400, { ...COMMON_HEADERS, 'content-type': 'text/plain; charset=utf-8' });
      res.end('since: a number of milliseconds\n');
      return;
    }
    this.#json(res, history.snapshot({ since: sinceMs }));
  }

  #json(res: ServerResponse, body: unknown): void {
    res.writeHead(200, { ...COMMON_HEADERS, 'content-type': 'application/json' }).end(JSON.stringify(body));
  }

  /** The page: one self-contained document; its script runs only by this answer's nonce. */
  #page(res: ServerResponse): void {
    const nonce = randomBytes(16).toString('base64');
    res.writeHead(200, {
      ...COMMON_HEADERS,
      'content-type': 'text/html; charset=utf-8',
      // Nothing may load from anywhere but this port: no CDN, no fonts, no beacon.
      'content-security-policy': `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
    });
    res.end(statusPageHtml(nonce));
  }
}

/**
 * The request target as a URL on this origin: `//[` read with a base would be a host (and throw),
 * so the target is appended to the origin instead. `undefined` for one no parser takes: a 400,
 * never an exception in the primary.
 */
function parseTarget(target: string | undefined): URL | undefined {
  try {
    return new URL(`http://admin.invalid${target?.startsWith('/') ? target : '/'}`);
  } catch {
    return undefined;
  }
}
