import type { Server } from 'node:net';

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
  /** Aborted when this worker begins to drain. */
  readonly signal: AbortSignal;
  /**
   * Registers a resource closed on shutdown, after the server drained; closeables close in reverse
   * registration order (register a pool before the cache built on it).
   */
  register(closeable: ShutdownCloseable): void;
  /** Registers the health monitor whose readiness fails first on shutdown. */
  useHealth(monitor: ShutdownAwareHealth): void;
};

/**
 * Builds the worker's server: an `http.Server` (an Express app's `http.createServer(app)`, a
 * Fastify instance's `.server`, a server carrying a `ws` WebSocket server). Do not call `listen()`:
 * the worker listens on the supervisor's port (or accepts sticky connections).
 */
export type ServerFactory = (context: WorkerContext) => Server | Promise<Server>;
