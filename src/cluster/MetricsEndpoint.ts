import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AggregatedHealth } from '../health/index.js';
import type { ClusterStats } from './ClusterStats.js';
import type { ResolvedClusterSupervisorOptions } from './resolveClusterOptions.js';

/** What the endpoint serves. */
export type MetricsEndpointHost = {
  stats(): ClusterStats;
  health(): AggregatedHealth | undefined;
};

/**
 * The primary's HTTP endpoint (`metrics` option): `GET /` answers the cluster's stats and health
 * as JSON, `GET /metrics` the registry's text when one is given.
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

  async listen(options: NonNullable<ResolvedClusterSupervisorOptions['metrics']>): Promise<void> {
    const { registry } = options;
    const server = createServer((req, res) => {
      const path = req.url?.split('?', 1)[0];
      if (req.method !== 'GET' || (path !== '/' && path !== '/metrics')) {
        res.writeHead(404).end();
        return;
      }
      if (path === '/metrics' && registry !== undefined) {
        registry.metrics().then(
          (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
          (error: unknown) => {
            const message = error instanceof Error ? error.message : String(error);
            res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end(`${message}\n`);
          },
        );
        return;
      }
      const health = this.#host.health();
      const stats = this.#host.stats();
      const body = health === undefined ? stats : { ...stats, health };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    });
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
}
