import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Closeable, CloseOptions } from '../core/Closeable.js';
import { drainUnlessAborted } from '../core/internal/abort.js';
import { warnThrew } from '../core/internal/warnThrew.js';
import type { MetricsSource } from '../core/MetricsSource.js';
import {
  type GatedSocket,
  type ResolvedGateOptions,
  resolveGateOptions,
  type WebSocketGateOptions,
} from './WebSocketGateOptions.js';

/** What {@link WebSocketGate.stats} reports: Prometheus and OpenTelemetry read it as they are. */
export type WebSocketGateStats = {
  /** Sockets open now, handshakes in progress included. */
  readonly connections: number;
  /** Upgrades admitted since the start. */
  readonly acceptedTotal: number;
  /** Upgrades refused because `maxConnections` were open. */
  readonly rejectedFullTotal: number;
  /** Upgrades refused by the shedding decision. */
  readonly rejectedShedTotal: number;
  /** Upgrades refused because the gate was closing. */
  readonly rejectedClosingTotal: number;
  /** `error` events of admitted sockets (a frame over `maxPayload`, a protocol error). */
  readonly socketErrorsTotal: number;
  /** Sockets destroyed because they had not closed `closeTimeoutMs` after the close began. */
  readonly terminatedTotal: number;
  /** Whether {@link WebSocketGate.close} has begun. */
  readonly closing: boolean;
};

/** The end of a refusal's head: no body, and the connection goes. */
const CLOSE_HEADERS = 'Connection: close\r\nContent-Length: 0\r\n\r\n';

type Counters = { -readonly [K in keyof WebSocketGateStats]: WebSocketGateStats[K] };

/**
 * Admits WebSocket upgrades on an HTTP server, and closes them all when the process goes away:
 * the part of a `ws` server that is the same in every app. An upgrade past `maxConnections`,
 * while `shed` sheds, or once closing gets a plain `503` with `Retry-After` before any handshake
 * (the balancer in front chose this process and cannot know it is full). Every admitted socket
 * gets an `error` listener (a protocol error would otherwise crash the process; `ws` closes the
 * socket itself) and is counted until its TCP connection closes, so a failed handshake gives its
 * place back. {@link WebSocketGate.close} sends every socket `1001 going away`, so clients
 * reconnect to a live process, and destroys those still open after `closeTimeoutMs`.
 *
 * It never imports `ws`: pass your `WebSocketServer({ noServer: true })`.
 *
 * @example
 * {@includeCode ./ws.test.ts#gate}
 */
export class WebSocketGate<S extends GatedSocket> implements Closeable, MetricsSource<WebSocketGateStats> {
  readonly #options: ResolvedGateOptions<S>;
  /** The TCP connections admitted and not yet closed. */
  readonly #connections = new Set<Duplex>();
  readonly #sockets = new Set<S>();
  readonly #counters: Counters = {
    connections: 0,
    acceptedTotal: 0,
    rejectedFullTotal: 0,
    rejectedShedTotal: 0,
    rejectedClosingTotal: 0,
    socketErrorsTotal: 0,
    terminatedTotal: 0,
    closing: false,
  };
  #drained: Promise<void> | undefined;
  #allClosed: (() => void) | undefined;

  /**
   * Starts answering the server's `upgrade` requests.
   *
   * @param options - the server, your `WebSocketServer`, the connection handler and the limits.
   * @throws `InvalidOptionError` (`ERR_LOADSTONE_INVALID_OPTION`) for a bad option.
   */
  constructor(options: WebSocketGateOptions<S>) {
    this.#options = resolveGateOptions(options);
    this.#options.server.on('upgrade', this.#onUpgrade);
    const signal = this.#options.signal;
    if (signal?.aborted) void this.close();
    else signal?.addEventListener('abort', () => void this.close(), { once: true });
  }

  /** The counters, and the sockets open now. */
  stats(): WebSocketGateStats {
    return { ...this.#counters, connections: this.#connections.size };
  }

  /** `true` once {@link WebSocketGate.close} or {@link WebSocketGate.destroy} has been called. */
  get closed(): boolean {
    return this.#counters.closing;
  }

  /**
   * Refuses new upgrades from now on, sends every open socket `1001 going away`, and resolves
   * once every connection has closed. Those still open `closeTimeoutMs` later are destroyed (and
   * counted in `terminatedTotal`), so one client that never answers cannot hold a drain.
   * Idempotent.
   *
   * @param options - a `signal` to stop waiting and destroy the connections instead.
   * @returns a promise that resolves once every connection has closed.
   * @throws `signal.reason`, as a rejection, when `options.signal` aborts first.
   */
  close(options?: CloseOptions): Promise<void> {
    const drained = this.#begin();
    const destroy = (reason: unknown) => this.destroy(reason);
    return drainUnlessAborted(
      drained,
      options?.signal,
      destroy,
      'WebSocketGate.close',
      this.#options.closeTimeoutMs,
    );
  }

  /**
   * Refuses new upgrades and destroys every connection at once. Idempotent.
   *
   * @param _reason - unused: the connections carry no pending work to reject.
   * @returns a promise that resolves once every connection has closed.
   */
  destroy(_reason?: unknown): Promise<void> {
    const drained = this.#begin();
    for (const connection of this.#connections) {
      if (connection.destroyed) continue;
      this.#counters.terminatedTotal++;
      connection.destroy();
    }
    return drained;
  }

  /** Calls `close()`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** Starts closing once: every open socket is told to go; resolves when the last connection closes. */
  #begin(): Promise<void> {
    this.#drained ??= new Promise<void>((resolve) => {
      this.#counters.closing = true;
      this.#allClosed = resolve;
      if (this.#connections.size === 0) resolve();
      for (const socket of this.#sockets) socket.close(1001, 'going away');
    });
    return this.#drained;
  }

  readonly #onUpgrade = (req: IncomingMessage, connection: Duplex, head: Buffer): void => {
    let retryAfter: number | undefined;
    try {
      retryAfter = this.#refusal(req);
    } catch (error) {
      // A throwing `allow` of the shedding decision: refused, never admitted unchecked.
      warnThrew('LOADSTONE_WARN_WS_HANDLER_THREW', 'A WebSocketGate shedding decision threw', error);
      connection.end(`HTTP/1.1 500 Internal Server Error\r\n${CLOSE_HEADERS}`);
      return;
    }
    if (retryAfter !== undefined) {
      connection.end(`HTTP/1.1 503 Service Unavailable\r\nRetry-After: ${retryAfter}\r\n${CLOSE_HEADERS}`);
      return;
    }
    this.#counters.acceptedTotal++;
    this.#connections.add(connection);
    connection.once('close', () => {
      this.#connections.delete(connection);
      if (this.#connections.size === 0) this.#allClosed?.();
    });
    this.#options.wss.handleUpgrade(req, connection, head, (socket) => this.#admit(socket, req));
  };

  /** `Retry-After` seconds when the upgrade must be refused, else `undefined`. */
  #refusal(req: IncomingMessage): number | undefined {
    const { maxConnections, retryAfterSeconds, shed } = this.#options;
    if (this.#counters.closing) {
      this.#counters.rejectedClosingTotal++;
      return retryAfterSeconds;
    }
    if (this.#connections.size >= maxConnections) {
      this.#counters.rejectedFullTotal++;
      return retryAfterSeconds;
    }
    if (shed?.shed(req)) {
      this.#counters.rejectedShedTotal++;
      return shed.retryAfterSeconds;
    }
    return undefined;
  }

  #admit(socket: S, req: IncomingMessage): void {
    this.#sockets.add(socket);
    socket.on('close', () => this.#sockets.delete(socket));
    socket.on('error', () => {
      this.#counters.socketErrorsTotal++;
    });
    if (this.#counters.closing) {
      socket.close(1001, 'going away'); // its handshake finished after the close began
      return;
    }
    try {
      this.#options.onConnection(socket, req);
    } catch (error) {
      warnThrew('LOADSTONE_WARN_WS_HANDLER_THREW', 'A WebSocketGate onConnection threw', error);
      socket.close(1011, 'internal error');
    }
  }
}
