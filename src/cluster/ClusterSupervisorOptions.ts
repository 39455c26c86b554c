import type { AutoscaleOptions } from './AutoscaleOptions.js';
import type { StickyKey } from './sticky/index.js';

export type { AutoscaleOptions };

/** Which memory figure {@link ClusterSupervisorOptions.maxMemoryMb} is compared with. */
export type MemoryMetric = 'rss' | 'heapUsed';

/** Sticky-session settings of {@link ClusterSupervisorOptions.sticky}. */
export type StickyOptions = {
  /**
   * What identifies a client: its address, or a header / cookie value for clients that all come
   * through one proxy address.
   * @default 'address'
   */
  readonly key?: StickyKey;
  /**
   * Proxies (addresses and CIDR ranges) allowed to name the client, by `X-Forwarded-For` or the
   * PROXY protocol; everyone else's claims are ignored (see `StickyRouterOptions.trustedProxies`).
   * Behind nginx or a load balancer, list it here so its clients spread over the workers instead
   * of all landing on the one its address hashes to.
   */
  readonly trustedProxies?: readonly string[];
  /** The trusted proxies send a PROXY protocol header (v1 or v2), which the primary strips. @default false */
  readonly proxyProtocol?: boolean;
  /**
   * Bounded loads: no worker holds more than `⌈balanceFactor × mean⌉` open connections; a
   * client whose worker is full goes to the next on the ring (see
   * `StickyRouterOptions.balanceFactor`). 1 to 100, e.g. `1.25`; off when absent.
   */
  readonly balanceFactor?: number;
};

/**
 * The optional private endpoint served by the primary: the status page at `GET /` for a browser
 * (other clients get the JSON stats and aggregated health there, as at `/stats.json`),
 * `/history.json` (the {@link ClusterSupervisor.history}, version 1, `?since=<ms>`), and
 * `/metrics`: the `registry`'s text exposition when one is given (else the same JSON). It binds
 * 127.0.0.1 unless `host` says otherwise: it is meant for scrapers and operators, not the public.
 */
export type MetricsEndpointOptions = {
  /** TCP port (0 picks a free one; read it back from {@link ClusterSupervisor.metricsAddress}). */
  readonly port: number;
  /**
   * Interface to bind.
   * @default '127.0.0.1'
   */
  readonly host?: string;
  /**
   * A bearer token every request must carry (`Authorization: Bearer <token>`; a browser opens the
   * page as `/?token=<token>` and the page sends the header from then on). Anyone who can reach
   * the port can read the stats without one.
   * @default undefined (no token asked)
   */
  readonly token?: string;
  /**
   * What `GET /metrics` serves, with its `contentType`: a prom-client `Registry` fits (register a
   * `PrometheusExporter` from `loadstone/prometheus` on it, with `addSupervisor` for the whole
   * cluster). A `metrics()` that rejects answers 500.
   * @default undefined (`GET /metrics` answers the JSON stats, like `GET /`)
   */
  readonly registry?: {
    /** The `Content-Type` of the exposition, e.g. `text/plain; version=0.0.4; charset=utf-8`. */
    readonly contentType: string;
    /** Renders the exposition. */
    metrics(): Promise<string>;
  };
};

/** The `history` option of {@link ClusterSupervisorOptions}. */
export type ClusterHistoryOptions = {
  /**
   * Samples kept per series, one a heartbeat: 2 to 1,000,000.
   * @default 1_800
   */
  readonly capacity?: number;
};

/**
 * Options of {@link ClusterSupervisor} and {@link supervise}. The same object is read in the
 * primary (process management) and in each worker (listen, ready, drain).
 */
export type ClusterSupervisorOptions = {
  /**
   * TCP port the workers' servers share (`0` = one ephemeral port, the same for all workers; see
   * {@link ClusterSupervisor.port}). Range: 0–65535.
   * @default 0
   */
  readonly port?: number;
  /**
   * Interface to listen on.
   * @default undefined (all interfaces, as `server.listen(port)`)
   */
  readonly host?: string;
  /**
   * Number of workers, or `'auto'`. `'auto'` (and leaving it out) reads the `LOADSTONE_WORKERS`
   * environment variable, else `os.availableParallelism()`. Minimum: 1.
   * @default 'auto'
   */
  readonly workers?: number | 'auto';
  /**
   * Called in each worker after its server listens; the worker counts as ready (gets traffic in a
   * rolling reload, ends `start()`) only once the returned promise resolves. A rejection fails
   * the worker's start (a crash).
   * @default undefined
   */
  readonly ready?: () => unknown;
  /**
   * Milliseconds a new worker has to become ready before it is killed (and counted as a crash).
   * @default 30000
   */
  readonly readyTimeoutMs?: number;
  /**
   * Milliseconds a draining worker has to finish in-flight requests and close its closeables
   * before the primary kills it (`SIGKILL`). Keep `preStopDelayMs + shutdownTimeoutMs` below
   * Kubernetes' `terminationGracePeriodSeconds`.
   * @default 10000
   */
  readonly shutdownTimeoutMs?: number;
  /**
   * Milliseconds to wait on shutdown after readiness turns 503 and before servers stop accepting,
   * while load balancers remove the instance (a Kubernetes endpoint update). `0` = no delay.
   * @default 0
   */
  readonly preStopDelayMs?: number;
  /**
   * Keep-alive timeout in milliseconds applied to idle sockets once a worker drains. A draining
   * worker never destroys an idle keep-alive socket at once (the client's next request may already
   * be on the wire); it answers with `Connection: close` and lets idle sockets expire after this.
   * Minimum: 1.
   * @default 1000
   */
  readonly drainKeepAliveTimeoutMs?: number;
  /**
   * Delay in milliseconds of the second restart of a slot whose worker keeps dying; doubles with
   * each further consecutive crash. The first restart is immediate.
   * @default 500
   */
  readonly restartDelayMs?: number;
  /**
   * Cap of the restart backoff in milliseconds.
   * @default 15000
   */
  readonly maxRestartDelayMs?: number;
  /**
   * Crash-loop limit: more than this many unexpected worker exits within `crashLoopWindowMs`
   * stops all restarts and emits `crashloop:detected`. Minimum: 1.
   * @default 10
   */
  readonly maxCrashes?: number;
  /**
   * Window in milliseconds of the crash-loop count. A worker that lived longer than this resets
   * its slot's backoff.
   * @default 60000
   */
  readonly crashLoopWindowMs?: number;
  /**
   * Milliseconds between a worker's heartbeats (each carries its stats; memory is checked on each).
   * @default 1000
   */
  readonly heartbeatIntervalMs?: number;
  /**
   * A ready worker with no heartbeat for this many milliseconds (a blocked event loop) is
   * replaced and killed. `0` = never.
   * @default 10000
   */
  readonly heartbeatTimeoutMs?: number;
  /**
   * Memory limit in MiB per worker; a worker above it (checked on every heartbeat) is replaced by
   * a rolling restart: new worker first, then the old one drains. `0` = no limit.
   * @default 0
   */
  readonly maxMemoryMb?: number;
  /**
   * Which figure `maxMemoryMb` limits.
   * @default 'rss'
   */
  readonly memoryMetric?: MemoryMetric;
  /**
   * Workers replaced at once by a rolling reload. Minimum: 1.
   * @default 1
   */
  readonly reloadConcurrency?: number;
  /**
   * Install signal handlers in the primary: SIGTERM/SIGINT → graceful {@link ClusterSupervisor.stop}
   * then exit, a second one → kill every worker and exit at once; SIGHUP → {@link ClusterSupervisor.reload}.
   * @default true
   */
  readonly handleSignals?: boolean;
  /**
   * Sticky sessions: the primary accepts connections and hands each to the worker its client
   * hashes to; `true` = by client address.
   * @default false
   */
  readonly sticky?: boolean | StickyOptions;
  /** Autoscaling; off when left out. `workers` is then the initial count, clamped to `[min, max]`. */
  readonly autoscale?: AutoscaleOptions;
  /**
   * The primary's admin endpoint: the status page (`GET /` from a browser), the JSON stats
   * (`/stats.json`), the history (`/history.json`) and `/metrics`; off when left out.
   */
  readonly metrics?: MetricsEndpointOptions;
  /**
   * The primary's metrics history ({@link ClusterSupervisor.history}): every slot's figures from
   * its heartbeats and the cluster's, `capacity` samples per series (at one a heartbeat), in
   * fixed memory: 16 bytes a sample, 7 series a slot and 8 for the cluster. `false` keeps none.
   * @default { capacity: 1_800 } (30 minutes at the default 1 s heartbeat)
   */
  readonly history?: false | ClusterHistoryOptions;
  /**
   * Extra environment variables of every worker.
   * @default {}
   */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * Node options of every worker, after the primary's own (`process.execArgv`): e.g.
   * `['--max-old-space-size=512']` to give each worker 512 MiB of heap (the vertical-scaling
   * seed's `MAX_OLD_SPACE_SIZE`). Each a string starting with `-`.
   * @default []
   */
  readonly execArgv?: readonly string[];
  /**
   * Most connections one worker holds open at once (the chat seed's `MAX_CONNECTIONS`). A
   * connection past it is refused cleanly, a `503` with `Retry-After: 1` and `Connection: close`,
   * and counted (`stats().connectionsRefused`). With `sticky`, the primary sends a client whose
   * worker is full to the next worker on the ring with room, and refuses it only when every
   * worker is full. An integer >= 1; no limit when left out.
   */
  readonly maxConnectionsPerWorker?: number;
};
