import type { Server } from 'node:net';
import type { WorkerStats } from './ClusterStats.js';

/**
 * Anything a worker closes on shutdown: a core `Closeable` (pools, caches, queues), a database
 * client, a WebSocket server — any object with a `close()` that may return a promise.
 */
export type ShutdownCloseable = {
  /** Releases the resource; a returned promise is awaited (bounded by the shutdown deadline). */
  close(): unknown;
};

/**
 * The part of a health monitor the worker drives: readiness must fail as soon as shutdown
 * begins, and the snapshot (when present) rides on heartbeats to the primary. `HealthMonitor`
 * from `loadstone/health` fits.
 */
export type ShutdownAwareHealth = {
  /** Turns readiness to 503. */
  beginShutdown(): void;
  /** A JSON snapshot reported to the primary with each heartbeat. */
  snapshot?(): unknown;
};

/** What a server factory receives in each worker. */
export type WorkerContext = {
  /** Stable slot id (`'w0'` …); a replacement worker gets its predecessor's slot. */
  readonly slot: string;
  /**
   * Aborted when this worker begins to drain, before the server's connections are waited for.
   * Close long-lived connections here: the drain waits for every connection, and an upgraded
   * WebSocket never goes idle, so `ws.close(1001)` on this signal (not in a `register`ed
   * closeable, which runs only after the drain) lets clients reconnect to another worker at once.
   */
  readonly signal: AbortSignal;
  /**
   * Registers a resource closed on shutdown, after the server drained (so in-flight requests can
   * still use it); closeables close in reverse registration order (register a pool before the
   * cache built on it). For connections that hold the drain open, such as WebSockets, use
   * {@link WorkerContext.signal}.
   *
   * @throws `InvalidOptionError` (`ERR_LOADSTONE_INVALID_OPTION`) without a `close()` method.
   */
  register(closeable: ShutdownCloseable): void;
  /**
   * Registers the health monitor whose readiness fails first on shutdown.
   *
   * @throws `InvalidOptionError` (`ERR_LOADSTONE_INVALID_OPTION`) without `beginShutdown()`.
   */
  useHealth(monitor: ShutdownAwareHealth): void;
  /**
   * Sends `source.collect()` with every heartbeat, so the primary can serve the whole cluster's
   * metrics (see `PrometheusExporter.addSupervisor` in `loadstone/prometheus`). A later call
   * replaces the source; a `collect()` that throws sends no metrics for that beat. The primary
   * validates what arrives and exposes it as {@link WorkerStats.metrics}.
   *
   * @param source - anything whose `collect()` returns the worker's metric families as plain JSON
   * (called once per heartbeat); `PrometheusExporter` from `loadstone/prometheus` fits.
   * @throws `InvalidOptionError` (`ERR_LOADSTONE_INVALID_OPTION`) without a `collect()` method.
   */
  useMetrics(source: { collect(): unknown }): void;
};

/**
 * Builds the worker's server: an `http.Server` (an Express app's `http.createServer(app)`, a
 * Fastify instance's `.server`, a server carrying a `ws` WebSocket server). Do not call `listen()`:
 * the worker listens on the supervisor's port (or accepts sticky connections).
 */
export type ServerFactory = (context: WorkerContext) => Server | Promise<Server>;
