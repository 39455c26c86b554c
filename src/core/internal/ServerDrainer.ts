// Connection and request tracking for a worker's server, and the drain that loses no request.
//
// Measured (anchors §1b): destroying keep-alive sockets the server believes idle — what Node ≥ 19's
// `server.close()` does through `closeIdleConnections()`, and what `worker.disconnect()` does —
// dropped 20–25 requests per reload with 20 clients, because the client's next request was often
// already on the wire. Not destroying them and answering every further request with
// `Connection: close` dropped 0. So: stop accepting without closing idle sockets, mark responses
// `Connection: close`, and let idle sockets expire after a short keep-alive timeout.
import type { Server as HttpServer, IncomingMessage, ServerResponse } from 'node:http';
import type { Server as NetServer, Socket } from 'node:net';

type Tracked = { busy: number };

/** @internal */
export class ServerDrainer {
  readonly #server: NetServer;
  readonly #sockets = new Map<Socket, Tracked>();
  readonly #responses = new Set<ServerResponse>();
  #draining = false;
  #drainKeepAliveMs = 1000;
  #requestsTotal = 0;
  #idleWaiters: (() => void)[] = [];

  constructor(server: NetServer) {
    this.#server = server;
    server.on('connection', (socket: Socket) => this.#onConnection(socket));
    // Prepended so the header is set before the user's handler can write the head.
    (server as HttpServer).prependListener('request', (req: IncomingMessage, res: ServerResponse) =>
      this.#onRequest(req, res),
    );
  }

  get requestsInFlight(): number {
    return this.#responses.size;
  }

  get requestsTotal(): number {
    return this.#requestsTotal;
  }

  get connections(): number {
    return this.#sockets.size;
  }

  get isDraining(): boolean {
    return this.#draining;
  }

  #onConnection(socket: Socket): void {
    const tracked: Tracked = { busy: 0 };
    this.#sockets.set(socket, tracked);
    socket.once('close', () => {
      this.#sockets.delete(socket);
      this.#checkIdle();
    });
    // A connection handed over while draining (sticky mode, a race with close) gets the short timeout.
    if (this.#draining) socket.setTimeout(this.#drainKeepAliveMs);
  }

  #onRequest(req: IncomingMessage, res: ServerResponse): void {
    this.#requestsTotal++;
    this.#responses.add(res);
    const socket = req.socket;
    const tracked = this.#sockets.get(socket);
    if (tracked) tracked.busy++;
    if (this.#draining) {
      // The short idle timeout set on drain must not fire mid-request.
      socket.setTimeout(0);
      if (!res.headersSent) res.setHeader('Connection', 'close');
    }
    res.once('close', () => {
      this.#responses.delete(res);
      if (tracked) tracked.busy--;
      this.#checkIdle();
    });
  }

  /** Stops accepting, lets in-flight requests finish with `Connection: close`, expires idle sockets. */
  begin(drainKeepAliveMs: number): void {
    if (this.#draining) return;
    this.#draining = true;
    this.#drainKeepAliveMs = drainKeepAliveMs;
    const server = this.#server as HttpServer;
    if (typeof server.keepAliveTimeout === 'number') server.keepAliveTimeout = drainKeepAliveMs;
    for (const res of this.#responses) {
      if (!res.headersSent) res.setHeader('Connection', 'close');
    }
    for (const [socket, tracked] of this.#sockets) {
      if (tracked.busy === 0) socket.setTimeout(drainKeepAliveMs);
    }
    // `server.close()` on Node ≥ 19 destroys idle keep-alive sockets: suppress that for this call.
    const closeIdle = server.closeIdleConnections;
    if (typeof closeIdle === 'function') server.closeIdleConnections = () => {};
    try {
      if (server.listening) server.close();
    } finally {
      if (typeof closeIdle === 'function') server.closeIdleConnections = closeIdle;
    }
    this.#checkIdle();
  }

  /** Resolves once every connection closed (only meaningful after {@link begin}). */
  whenIdle(): Promise<void> {
    if (this.#sockets.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Destroys every remaining connection (after the shutdown timeout). */
  destroyAll(): void {
    for (const socket of this.#sockets.keys()) socket.destroy();
  }

  #checkIdle(): void {
    if (!this.#draining || this.#sockets.size > 0) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const w of waiters) w();
  }
}
