import cluster from 'node:cluster';
import { EventEmitter } from 'node:events';
import type { AddressInfo } from 'node:net';
import type { Bus } from '../core/Bus.js';
import type { Closeable } from '../core/Closeable.js';
import { ClosedError } from '../core/errors/ClosedError.js';
import type { HealthCheck, HealthCheckResult } from '../core/HealthCheck.js';
import { optionsObject } from '../core/internal/validate.js';
import type { MetricsSource } from '../core/MetricsSource.js';
import type { AggregatedHealth, MetricsHistory } from '../health/index.js';
import { Autoscaler } from './Autoscaler.js';
import { aggregateWorkerHealth } from './aggregateWorkerHealth.js';
import { ClusterBusBridge, ClusterBusRelay } from './bus/index.js';
import { ClusterHistory } from './ClusterHistory.js';
import type { ClusterStats } from './ClusterStats.js';
import type { ClusterSupervisorOptions } from './ClusterSupervisorOptions.js';
import { checkClusterHealth } from './checkClusterHealth.js';
import type { ClusterSupervisorEvents } from './events.js';
import { giveUp, ownsTheProcess } from './giveUp.js';
import { MetricsEndpoint } from './MetricsEndpoint.js';
import { ProcessSignalHandlers } from './ProcessSignalHandlers.js';
import { pickFreePort } from './pickFreePort.js';
import { envelope, MSG_PRESTOP } from './protocol.js';
import { ReadyWaiters } from './ReadyWaiters.js';
import { RestartPolicy } from './RestartPolicy.js';
import { RollingReloader } from './RollingReloader.js';
import { type ResolvedClusterSupervisorOptions, resolveClusterOptions } from './resolveClusterOptions.js';
import type { SupervisorHost } from './SupervisorHost.js';
import { SupervisorLifecycle } from './SupervisorLifecycle.js';
import { snapshotWorkers } from './snapshotWorkers.js';
import { announceWorkerGone, announceWorkerOnline } from './state/announce.js';
import { ClusterStateHost } from './state/index.js';
import { StickyRouter } from './sticky/index.js';
import { WorkerMessageHandler } from './WorkerMessageHandler.js';
import { WorkerReplacer } from './WorkerReplacer.js';
import { WorkerSpawner } from './WorkerSpawner.js';
import { WorkerWatchdog } from './WorkerWatchdog.js';

/**
 * The cluster primary: forks the workers, restarts crashed ones (immediately, then with
 * exponential backoff, until a crash loop stops it), replaces workers that exceed the memory
 * limit or stop sending heartbeats, reloads them one (or `reloadConcurrency`) at a time without
 * dropping a request, and shuts down gracefully. Construct it in the primary only; the workers
 * run the same file and call {@link supervise} (which creates this class in the primary for you).
 *
 * @example
 * {@includeCode ./ClusterSupervisor.test.ts#supervisor}
 */
export class ClusterSupervisor
  extends EventEmitter<ClusterSupervisorEvents>
  implements Closeable, HealthCheck, MetricsSource<ClusterStats>
{
  /** Distinguishes the primary-side result of {@link supervise} from a worker's. */
  readonly role = 'primary' as const;
  /** Name under which the supervisor reports as a health check. */
  readonly name = 'cluster';
  readonly #options: ResolvedClusterSupervisorOptions;
  readonly #lifecycle = new SupervisorLifecycle();
  #startPromise: Promise<void> | undefined;
  #stopPromise: Promise<void> | undefined;
  #port: number | undefined;
  readonly #relay: ClusterBusRelay;
  readonly #clusterState: ClusterStateHost;
  #router: StickyRouter | undefined;
  readonly #bridges = new Set<ClusterBusBridge>();
  readonly #messages: WorkerMessageHandler;
  readonly #spawner: WorkerSpawner;
  readonly #restarts: RestartPolicy;
  readonly #ready: ReadyWaiters;
  readonly #reloader: RollingReloader;
  readonly #watchdog: WorkerWatchdog;
  readonly #autoscaler: Autoscaler;
  readonly #metrics: MetricsEndpoint;
  readonly #history: ClusterHistory | undefined;
  readonly #signals: ProcessSignalHandlers;

  /**
   * @param options - see {@link ClusterSupervisorOptions}.
   * @throws {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION` for a bad option (or a bad `LOADSTONE_WORKERS`).
   * @throws {@link ClosedError} `ERR_LOADSTONE_CLOSED` when constructed in a worker process.
   */
  constructor(options?: ClusterSupervisorOptions) {
    super();
    this.#options = resolveClusterOptions(options);
    if (!cluster.isPrimary) throw new ClosedError('ClusterSupervisor can only run in the cluster primary');
    // Twice the most workers: a replacement finds a free rate-limit share while the dead one drains.
    const most = this.#options.autoscale?.max ?? this.#options.workers;
    this.#clusterState = new ClusterStateHost({ shares: Math.min(1_024, 2 * most) });
    this.#relay = new ClusterBusRelay({ workers: () => this.#spawner.connectedWorkers() });
    const lifecycle = this.#lifecycle;
    const host: SupervisorHost = { options: this.#options, state: () => lifecycle.state, events: this };
    // The callbacks read the fields when called, not now: the message handler, the spawner and the
    // restart policy need one another, so one of them is always built first.
    const slotsChanged = (): void => this.#ready.check();
    this.#messages = new WorkerMessageHandler({
      ...host,
      relay: this.#relay,
      clusterState: this.#clusterState,
      workerReady: (m, port) => this.#spawner.markReady(m, port),
      heartbeat: (m) => {
        this.#autoscaler.sample(m);
        this.#watchdog.checkMemory(m);
        for (const worker of snapshotWorkers([m])) this.#history?.heartbeat(worker);
      },
      stickyClosed: (m, n) => this.#router?.connectionsClosed(m.worker, n) ?? true,
    });
    const spawner = new WorkerSpawner({
      ...host,
      messages: this.#messages,
      portReported: (port) => {
        this.#port ??= port;
      },
      crashed: (m, code, signal) => this.#restarts.crashed(m, code, signal),
      slotsChanged,
      workerOnline: (m) => announceWorkerOnline(this.#relay, m),
      workerGone: (m, code, signal, expected) => {
        this.#clusterState.workerExited(m.pid);
        announceWorkerGone(this.#relay, m, code, signal, expected);
      },
    });
    this.#spawner = spawner;
    const restarts = new RestartPolicy(
      {
        ...host,
        enterCrashLoop: () => lifecycle.moveTo('crashed'),
        crashLoopReported: (cause, details) => this.#giveUpIfOwner(cause, details),
        slotsChanged,
      },
      spawner,
    );
    this.#restarts = restarts;
    this.#ready = new ReadyWaiters(host, spawner, restarts);
    const replacer = new WorkerReplacer(host, spawner, restarts);
    this.#reloader = new RollingReloader(host, spawner, replacer);
    this.#watchdog = new WorkerWatchdog(host, spawner, replacer);
    this.#autoscaler = new Autoscaler(host, spawner, this.#reloader);
    const { history, heartbeatIntervalMs } = this.#options;
    this.#history =
      history &&
      new ClusterHistory(
        { intervalMs: heartbeatIntervalMs, capacity: history.capacity },
        () => snapshotWorkers(spawner.managed),
        this,
      );
    this.#metrics = new MetricsEndpoint(this);
    this.#signals = new ProcessSignalHandlers({
      stop: () => this.stop(),
      reload: () => this.reload(),
      killAll: () => spawner.killAll(),
      launcherGone: () =>
        giveUp("the launcher's IPC channel closed (its parent process is gone)", () => this.stop()),
    });
  }

  /**
   * The relay of the workers' `ClusterBus` messages. Build a primary-side bus on it to publish to
   * and hear from every worker: `new ClusterBus({ relay: supervisor.busRelay })`.
   */
  get busRelay(): ClusterBusRelay {
    return this.#relay;
  }

  /**
   * Joins this machine's cluster bus to `remote` (a `RedisBus` shared by every machine), so the
   * workers' `ClusterBus` reaches every worker of every machine through one pub/sub pair per
   * machine, held here (see {@link ClusterBusBridge}). The bridge owns `remote` and is closed
   * after the workers exit on `stop()`, so their last messages still cross.
   *
   * @param remote - the bus between machines.
   * @param options - the bridge channel (`'loadstone:bridge'`).
   * @returns the bridge, for its `stats()`.
   * @throws {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION` for a bad remote or channel.
   * @throws {@link ClosedError} `ERR_LOADSTONE_CLOSED` once the supervisor is stopping.
   */
  bridgeBus(remote: Bus, options: { readonly channel?: string } = {}): ClusterBusBridge {
    if (this.#lifecycle.stopping) throw new ClosedError('ClusterSupervisor is stopped');
    const bridge = new ClusterBusBridge({ ...optionsObject('options', options), relay: this.#relay, remote });
    this.#bridges.add(bridge);
    return bridge;
  }

  /**
   * The state the workers share through the primary: give it as `host` to a
   * `ClusterRateLimitStore` or `ClusterLock` built in the primary.
   */
  get clusterState(): ClusterStateHost {
    return this.#clusterState;
  }

  /** Lifecycle state: `'idle'`, `'running'`, `'stopping'`, `'stopped'` or `'crashed'`. */
  get state(): ClusterStats['state'] {
    return this.#lifecycle.state;
  }

  /** The port the workers listen on, known once the first worker is ready (useful with `port: 0`). */
  get port(): number | undefined {
    return this.#port;
  }

  /** Address of the metrics endpoint once it listens, else `undefined`. */
  get metricsAddress(): AddressInfo | undefined {
    return this.#metrics.address;
  }

  /**
   * Forks the workers and resolves once every one is ready (listening, and its `ready()` resolved).
   * Idempotent.
   *
   * @returns resolves when all workers are ready.
   * @throws {@link WorkerExitError} `ERR_LOADSTONE_WORKER_EXIT` (rejection) when a crash loop stops
   *   the start; its `cause` carries the last worker's reported error.
   * @throws {@link ClosedError} `ERR_LOADSTONE_CLOSED` (rejection) after `stop()`.
   */
  start(): Promise<void> {
    if (this.#lifecycle.stopping) {
      return Promise.reject(new ClosedError('ClusterSupervisor is stopped'));
    }
    this.#startPromise ??= this.#start();
    return this.#startPromise;
  }

  async #start(): Promise<void> {
    this.#lifecycle.moveTo('running');
    // Fork on the next tick so listeners attached right after `start()` / `supervise()` see every event.
    await new Promise((resolve) => process.nextTick(resolve));
    if (this.#options.handleSignals) this.#signals.install();
    try {
      if (this.#options.sticky) {
        // The primary owns the port; workers get connections handed over (see ./sticky).
        const max = this.#options.maxConnectionsPerWorker;
        const router = new StickyRouter({
          ...this.#options.sticky,
          ...(max === undefined ? {} : { maxConnectionsPerSlot: max }),
        });
        this.#router = router;
        this.#spawner.useRouter(router);
        await router.listen(this.#options.port, this.#options.host);
        this.#port = router.address?.port;
      } else if (this.#options.port === 0) {
        this.#spawner.usePort(await pickFreePort(this.#options.host));
      }
      for (let i = 0; i < this.#options.workers; i++) this.#spawner.fork(this.#spawner.addSlot(), 'initial');
      this.#watchdog.start();
      this.#autoscaler.start();
      if (this.#options.metrics) await this.#metrics.listen(this.#options.metrics);
    } catch (error) {
      // A port the primary cannot bind: nothing it started may outlive the failed start.
      await this.stop();
      throw error;
    }
    await this.#ready.wait();
  }

  /**
   * Rolling zero-downtime reload: for each worker (`reloadConcurrency` at a time) starts a new one,
   * waits until it is ready, then drains the old one (`Connection: close` on its remaining
   * responses, idle keep-alive sockets expire after `drainKeepAliveTimeoutMs`). A reload requested
   * while one runs starts after it. New workers load the code on disk now.
   *
   * @returns resolves when every old worker exited.
   * @throws {@link WorkerExitError} `ERR_LOADSTONE_WORKER_EXIT` (rejection) when a new worker dies
   *   before it is ready; the old worker of that slot keeps serving and the remaining slots are not touched.
   * @throws {@link ClosedError} `ERR_LOADSTONE_CLOSED` (rejection) when the supervisor is not running.
   */
  reload(): Promise<void> {
    if (this.#lifecycle.state === 'running') this.#history?.reload('started');
    return this.#reloader.reload();
  }

  /**
   * The cluster's recent figures (see the `history` option): each slot's from its heartbeats
   * (`w0.rssBytes`, `w0.requestsPerSecond`…), the cluster's (`cluster.*`), and marks for
   * restarts, crashes and reloads. The admin endpoint serves it as `/history.json`.
   */
  get history(): MetricsHistory | undefined {
    return this.#history?.history;
  }

  /**
   * Graceful shutdown: readiness fails and, after `preStopDelayMs`, every worker drains (stops
   * accepting, finishes in-flight requests with `Connection: close`, closes its closeables in
   * reverse order); workers still alive after `shutdownTimeoutMs` are killed. Idempotent.
   *
   * @returns resolves when every worker exited.
   */
  stop(): Promise<void> {
    this.#stopPromise ??= this.#stop();
    return this.#stopPromise;
  }

  async #stop(): Promise<void> {
    this.#lifecycle.moveTo('stopping');
    this.#watchdog.stop();
    this.#autoscaler.stop();
    this.#restarts.cancel();
    this.#ready.check();
    const spawner = this.#spawner;
    if (this.#options.preStopDelayMs > 0) {
      for (const m of spawner.managed) spawner.send(m, envelope(MSG_PRESTOP));
      await new Promise((resolve) => setTimeout(resolve, this.#options.preStopDelayMs));
    }
    // Stop accepting in the primary first (sticky mode); handed-over connections drain in the workers.
    await this.#router?.close();
    await Promise.all([...spawner.managed].map((m) => spawner.retire(m, false)));
    await Promise.all([...this.#bridges].map((bridge) => bridge.close().catch(() => undefined)));
    await this.#metrics.close();
    await this.#history?.close();
    this.#signals.remove();
    this.#lifecycle.moveTo('stopped');
    this.emit('supervisor:stopped');
  }

  /** `true` from the moment `stop()`/`close()`/`destroy()` is first called. */
  get closed(): boolean {
    return this.#lifecycle.stopping;
  }

  /**
   * The core `Closeable` form of {@link ClusterSupervisor.stop}.
   *
   * @returns resolves when every worker exited.
   */
  close(): Promise<void> {
    return this.stop();
  }

  /**
   * Kills every worker at once (`SIGKILL`), without draining, and stops.
   *
   * @param _reason - unused; kept for the `Closeable` signature.
   * @returns resolves when every worker exited.
   */
  async destroy(_reason?: unknown): Promise<void> {
    const stopping = this.stop();
    this.#spawner.killAll();
    await stopping;
  }

  /** Calls {@link ClusterSupervisor.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /**
   * A primary that owns its process (`handleSignals`, or made by `supervise()`) ends it after a
   * crash loop; otherwise its owner heard `crashloop:detected` and decides.
   */
  #giveUpIfOwner(cause: string, details: string | undefined): void {
    if (this.#options.handleSignals || ownsTheProcess(this)) giveUp(cause, () => this.stop(), details);
  }

  /**
   * Health of the cluster as a core `HealthCheck`: `healthy` when every slot has a ready worker,
   * `degraded` when some do, `critical` when none do or after a crash loop or stop.
   *
   * @returns the status with `ready`, `desired`, `crashes` and `restarts` in `details`.
   */
  async check(): Promise<HealthCheckResult> {
    return checkClusterHealth(this.#lifecycle.state, this.#spawner.liveSlots(), this.#restarts);
  }

  /**
   * The workers' health combined with `aggregateHealth` (from `loadstone/health`), from the
   * snapshots their health monitors sent with the latest heartbeats (see
   * {@link WorkerContext.useHealth}); keyed by slot. A snapshot older than `heartbeatTimeoutMs`
   * counts as critical.
   *
   * @returns the aggregate, or `undefined` when no worker registered a health monitor.
   */
  health(): AggregatedHealth | undefined {
    return aggregateWorkerHealth(this.#spawner.managed, this.#options.heartbeatTimeoutMs);
  }

  /**
   * A fresh snapshot of the cluster: every live worker's pid, state, uptime, restarts, memory,
   * event-loop delay and utilisation, requests in flight (from its latest heartbeat), and the
   * supervisor's counters.
   *
   * @returns the snapshot.
   */
  stats(): ClusterStats {
    return {
      state: this.#lifecycle.state,
      desiredWorkers: this.#spawner.liveSlots().length,
      workers: snapshotWorkers(this.#spawner.managed),
      restarts: this.#restarts.restarts,
      crashes: this.#restarts.crashes,
      droppedMessages: this.#messages.dropped,
      reloads: this.#reloader.completed,
      connectionsRefused: this.#messages.connectionsRefused + (this.#router?.stats().refused ?? 0),
    };
  }
}
