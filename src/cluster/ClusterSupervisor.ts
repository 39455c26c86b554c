import cluster, { type Worker } from 'node:cluster';
import { EventEmitter } from 'node:events';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Closeable } from '../core/Closeable.js';
import { ClosedError } from '../core/errors/ClosedError.js';
import { WorkerExitError } from '../core/errors/WorkerExitError.js';
import type { HealthCheck, HealthCheckResult } from '../core/HealthCheck.js';
import type { JsonValue } from '../core/Json.js';
import { type AggregatedHealth, aggregateHealth, type HealthSnapshot } from '../health/index.js';
import { ClusterBusRelay } from './bus/index.js';
import type { ClusterStats, WorkerStartReason, WorkerState, WorkerStats } from './ClusterStats.js';
import {
  type ClusterSupervisorOptions,
  type ResolvedClusterSupervisorOptions,
  resolveClusterOptions,
} from './ClusterSupervisorOptions.js';
import { SLOT_ENV } from './ClusterWorker.js';
import type { ClusterSupervisorEvents } from './events.js';
import {
  envelope,
  isLoadstoneMessage,
  isMetricFamilies,
  type LoadstoneMessage,
  MSG_DRAIN,
  MSG_DRAINED,
  MSG_HEARTBEAT,
  MSG_PRESTOP,
  MSG_READY,
  MSG_START_FAILED,
} from './protocol.js';
import { StickyRouter } from './sticky/index.js';

type Deferred = { promise: Promise<void>; resolve: () => void; reject: (error: unknown) => void };

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => {});
  return { promise, resolve, reject };
}

type Sample = {
  rss: number;
  heapUsed: number;
  eld: number;
  eldP99: number;
  elu: number;
  inFlight: number;
  requests: number;
  health: unknown;
  metrics: JsonValue | undefined;
};

type Managed = {
  readonly worker: Worker;
  readonly pid: number;
  readonly slot: Slot;
  readonly reason: WorkerStartReason;
  readonly forkedAt: number;
  readonly ready: Deferred;
  readonly exited: Deferred;
  state: WorkerState;
  alive: boolean;
  retiring: boolean;
  killed: boolean;
  readyAt: number | undefined;
  lastHeartbeat: number | undefined;
  drainSentAt: number | undefined;
  sample: Sample | undefined;
  startError: string | undefined;
  readyTimer: NodeJS.Timeout | undefined;
  killTimer: NodeJS.Timeout | undefined;
};

type Slot = {
  readonly id: string;
  current: Managed | undefined;
  incoming: Managed | undefined;
  restarts: number;
  consecutiveCrashes: number;
  restartTimer: NodeJS.Timeout | undefined;
  removed: boolean;
};

const now = (): number => performance.now();
const noop = (): void => {};

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
  implements Closeable, HealthCheck
{
  /** Distinguishes the primary-side result of {@link supervise} from a worker's. */
  readonly role = 'primary' as const;
  /** Name under which the supervisor reports as a health check. */
  readonly name = 'cluster';
  readonly #options: ResolvedClusterSupervisorOptions;
  readonly #slots: Slot[] = [];
  readonly #managed = new Set<Managed>();
  readonly #crashTimes: number[] = [];
  #state: ClusterStats['state'] = 'idle';
  #nextSlot = 0;
  #startPromise: Promise<void> | undefined;
  #stopPromise: Promise<void> | undefined;
  #reloadChain: Promise<void> = Promise.resolve();
  #readyWaiters: Deferred[] = [];
  #crashLoopError: Error | undefined;
  #port: number | undefined;
  #restarts = 0;
  #crashes = 0;
  #dropped = 0;
  #reloads = 0;
  #reloading = 0;
  #checkTimer: NodeJS.Timeout | undefined;
  #scaleTimer: NodeJS.Timeout | undefined;
  #eluSum = 0;
  #eluCount = 0;
  #metricsServer: HttpServer | undefined;
  #signalHandlers: [NodeJS.Signals, () => void][] = [];
  #signalCount = 0;
  readonly #relay: ClusterBusRelay;
  #router: StickyRouter | undefined;

  /**
   * @param options - see {@link ClusterSupervisorOptions}.
   * @throws {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION` for a bad option (or a bad `LOADSTONE_WORKERS`).
   * @throws {@link ClosedError} `ERR_LOADSTONE_CLOSED` when constructed in a worker process.
   */
  constructor(options?: ClusterSupervisorOptions) {
    super();
    this.#options = resolveClusterOptions(options);
    if (!cluster.isPrimary) throw new ClosedError('ClusterSupervisor can only run in the cluster primary');
    this.#relay = new ClusterBusRelay({ workers: () => this.#connectedWorkers() });
  }

  *#connectedWorkers(): Iterable<Worker> {
    for (const m of this.#managed) if (m.alive && m.worker.isConnected()) yield m.worker;
  }

  /**
   * The relay of the workers' `ClusterBus` messages. Build a primary-side bus on it to publish to
   * and hear from every worker: `new ClusterBus({ relay: supervisor.busRelay })`.
   */
  get busRelay(): ClusterBusRelay {
    return this.#relay;
  }

  /** Lifecycle state: `'idle'`, `'running'`, `'stopping'`, `'stopped'` or `'crashed'`. */
  get state(): ClusterStats['state'] {
    return this.#state;
  }

  /** The port the workers listen on, known once the first worker is ready (useful with `port: 0`). */
  get port(): number | undefined {
    return this.#port;
  }

  /** Address of the metrics endpoint once it listens, else `undefined`. */
  get metricsAddress(): AddressInfo | undefined {
    const address = this.#metricsServer?.address();
    return typeof address === 'object' && address !== null ? address : undefined;
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
    if (this.#state === 'stopping' || this.#state === 'stopped') {
      return Promise.reject(new ClosedError('ClusterSupervisor is stopped'));
    }
    this.#startPromise ??= this.#start();
    return this.#startPromise;
  }

  async #start(): Promise<void> {
    this.#state = 'running';
    // Fork on the next tick so listeners attached right after `start()` / `supervise()` see every event.
    await new Promise((resolve) => process.nextTick(resolve));
    if (this.#options.handleSignals) this.#installSignals();
    if (this.#options.sticky) {
      // The primary owns the port; workers get connections handed over (see ./sticky).
      const router = new StickyRouter({ key: this.#options.sticky.key });
      this.#router = router;
      await router.listen(this.#options.port, this.#options.host);
      this.#port = router.address?.port;
    }
    for (let i = 0; i < this.#options.workers; i++) this.#fork(this.#addSlot(), 'initial');
    const interval = this.#options.heartbeatIntervalMs;
    this.#checkTimer = setInterval(() => this.#checkHeartbeats(), interval);
    this.#checkTimer.unref();
    if (this.#options.autoscale) {
      this.#scaleTimer = setInterval(() => this.#autoscale(), this.#options.autoscale.intervalMs);
      this.#scaleTimer.unref();
    }
    if (this.#options.metrics) await this.#startMetrics(this.#options.metrics);
    await this.#allReady();
  }

  /** Resolves when every slot's worker is ready. */
  #allReady(): Promise<void> {
    const waiter = deferred();
    this.#readyWaiters.push(waiter);
    this.#checkAllReady();
    return waiter.promise;
  }

  #checkAllReady(): void {
    if (this.#readyWaiters.length === 0) return;
    let failure: Error | undefined = this.#crashLoopError;
    if (!failure && (this.#state === 'stopping' || this.#state === 'stopped')) {
      failure = new ClosedError('ClusterSupervisor stopped before all workers were ready');
    }
    if (!failure) {
      for (const slot of this.#slots) {
        if (!slot.removed && slot.current?.state !== 'ready') return;
      }
    }
    const waiters = this.#readyWaiters;
    this.#readyWaiters = [];
    for (const w of waiters) {
      if (failure) w.reject(failure);
      else w.resolve();
    }
  }

  #addSlot(): Slot {
    const slot: Slot = {
      id: `w${this.#nextSlot++}`,
      current: undefined,
      incoming: undefined,
      restarts: 0,
      consecutiveCrashes: 0,
      restartTimer: undefined,
      removed: false,
    };
    this.#slots.push(slot);
    return slot;
  }

  #fork(slot: Slot, reason: WorkerStartReason): Managed {
    const worker = cluster.fork({ ...this.#options.env, [SLOT_ENV]: slot.id });
    const m: Managed = {
      worker,
      pid: worker.process.pid ?? -1,
      slot,
      reason,
      forkedAt: now(),
      ready: deferred(),
      exited: deferred(),
      state: 'starting',
      alive: true,
      retiring: false,
      killed: false,
      readyAt: undefined,
      lastHeartbeat: undefined,
      drainSentAt: undefined,
      sample: undefined,
      startError: undefined,
      readyTimer: undefined,
      killTimer: undefined,
    };
    this.#managed.add(m);
    if (slot.current === undefined) slot.current = m;
    else slot.incoming = m;
    worker.on('message', (message: unknown) => this.#onMessage(m, message));
    worker.on('exit', (code: number | null, signal: string | null) => this.#onExit(m, code, signal));
    // Sends to a worker that just died fail with EPIPE / ERR_IPC_CHANNEL_CLOSED: nothing to do.
    worker.on('error', noop);
    m.readyTimer = setTimeout(() => {
      m.startError ??= `not ready within readyTimeoutMs (${this.#options.readyTimeoutMs} ms)`;
      this.#kill(m);
    }, this.#options.readyTimeoutMs);
    this.emit('worker:started', { slot: slot.id, pid: m.pid, reason });
    return m;
  }

  #send(m: Managed, message: LoadstoneMessage): void {
    if (!m.alive || !m.worker.isConnected()) return;
    try {
      m.worker.send(message, undefined, {}, noop);
    } catch {
      // channel closed between the check and the send
    }
  }

  #kill(m: Managed): void {
    if (!m.alive) return;
    m.killed = true;
    try {
      m.worker.process.kill('SIGKILL');
    } catch {
      // already gone
    }
  }

  #drop(m: Managed, message: LoadstoneMessage | undefined, reason: string): void {
    this.#dropped++;
    this.emit('message:dropped', { pid: m.pid, type: message?.type, reason });
  }

  #onMessage(m: Managed, message: unknown): void {
    // Anything that is not a loadstone envelope is the user's own IPC traffic.
    if (!isLoadstoneMessage(message)) return;
    try {
      switch (message.type) {
        case MSG_READY: {
          const port = message.port;
          if (port !== undefined && !isInt(port)) {
            this.#drop(m, message, 'invalid port');
            return;
          }
          if (m.state !== 'starting') {
            this.#drop(m, message, 'ready twice');
            return;
          }
          this.#onReady(m, port as number | undefined);
          return;
        }
        case MSG_HEARTBEAT: {
          const s = message as unknown as Record<string, unknown>;
          const fields = ['rss', 'heapUsed', 'eld', 'eldP99', 'elu', 'inFlight', 'requests'] as const;
          for (const f of fields) {
            if (!isNonNegative(s[f])) {
              this.#drop(m, message, `invalid heartbeat field ${f}`);
              return;
            }
          }
          let metrics: JsonValue | undefined;
          if (s.metrics !== undefined) {
            if (isMetricFamilies(s.metrics)) metrics = s.metrics as JsonValue;
            // Bad metrics cost only themselves: the heartbeat (liveness, memory) still counts.
            else this.#drop(m, message, 'invalid heartbeat field metrics');
          }
          m.lastHeartbeat = now();
          m.sample = {
            rss: s.rss as number,
            heapUsed: s.heapUsed as number,
            eld: s.eld as number,
            eldP99: s.eldP99 as number,
            elu: s.elu as number,
            inFlight: s.inFlight as number,
            requests: s.requests as number,
            health: s.health,
            metrics,
          };
          if (m.state === 'ready' && !m.retiring) {
            this.#eluSum += m.sample.elu;
            this.#eluCount++;
          }
          this.#checkMemory(m);
          return;
        }
        case MSG_START_FAILED:
          if (typeof message.error !== 'string') {
            this.#drop(m, message, 'invalid error');
            return;
          }
          m.startError = message.error.slice(0, 4000);
          return;
        case MSG_DRAINED:
          if (!isNonNegative(message.lingerMs)) {
            this.#drop(m, message, 'invalid lingerMs');
            return;
          }
          return;
        default:
          if (message.type.startsWith('bus:')) {
            if (!this.#relay.receive(m.worker, message)) this.#drop(m, message, 'malformed bus message');
            return;
          }
          this.#drop(m, message, 'unexpected type');
      }
    } catch {
      // A plugin must never take the primary down because of one message.
      this.#drop(m, message, 'handler threw');
    }
  }

  #onReady(m: Managed, port: number | undefined): void {
    clearTimeout(m.readyTimer);
    m.state = 'ready';
    m.readyAt = now();
    m.lastHeartbeat ??= m.readyAt;
    if (port !== undefined) this.#port ??= port;
    this.emit('worker:ready', { slot: m.slot.id, pid: m.pid, startupMs: m.readyAt - m.forkedAt, port });
    m.ready.resolve();
    this.#syncRouter(m.slot);
    // A worker ready after stop() began (or in a removed slot) is drained right away.
    if (this.#state === 'stopping' || this.#state === 'stopped' || m.slot.removed) {
      void this.#retire(m, false);
    }
    this.#checkAllReady();
  }

  #onExit(m: Managed, code: number | null, signal: string | null): void {
    m.alive = false;
    clearTimeout(m.readyTimer);
    clearTimeout(m.killTimer);
    this.#managed.delete(m);
    const t = now();
    const slot = m.slot;
    const expected = m.retiring || this.#state === 'stopping' || this.#state === 'stopped';
    this.emit('worker:exited', {
      slot: slot.id,
      pid: m.pid,
      code,
      signal,
      expected,
      uptimeMs: t - m.forkedAt,
      ...(m.startError === undefined ? {} : { error: m.startError }),
    });
    if (m.retiring && m.drainSentAt !== undefined) {
      this.emit('worker:retired', {
        slot: slot.id,
        pid: m.pid,
        lingerMs: t - m.drainSentAt,
        killed: m.killed,
      });
    }
    if (slot.current === m) slot.current = undefined;
    if (slot.incoming === m) slot.incoming = undefined;
    this.#syncRouter(slot);
    const error = new WorkerExitError('process', m.pid, code, {
      cause: m.startError === undefined ? undefined : new Error(m.startError),
    });
    m.ready.reject(error);
    m.exited.resolve();
    if (!expected) this.#onCrash(m, code, signal);
    this.#checkAllReady();
  }

  #onCrash(m: Managed, code: number | null, signal: string | null): void {
    const t = now();
    this.#crashes++;
    this.#crashTimes.push(t);
    const windowStart = t - this.#options.crashLoopWindowMs;
    while (this.#crashTimes.length > 0 && (this.#crashTimes[0] ?? t) < windowStart) this.#crashTimes.shift();
    if (this.#crashTimes.length > this.#options.maxCrashes) {
      this.#enterCrashLoop(m, code, signal);
      return;
    }
    const slot = m.slot;
    if (this.#state !== 'running' || slot.removed) return;
    // The crashed worker was being replaced (or was the replacement): the other one covers the slot.
    if (slot.current !== undefined || slot.incoming !== undefined) return;
    this.#scheduleRestart(slot, t - m.forkedAt);
  }

  #scheduleRestart(slot: Slot, uptimeMs: number): void {
    if (slot.restartTimer !== undefined) return;
    if (uptimeMs > this.#options.crashLoopWindowMs) slot.consecutiveCrashes = 0;
    slot.consecutiveCrashes++;
    const n = slot.consecutiveCrashes;
    const delay =
      n <= 1 ? 0 : Math.min(this.#options.maxRestartDelayMs, this.#options.restartDelayMs * 2 ** (n - 2));
    const restart = (): void => {
      slot.restartTimer = undefined;
      if (this.#state !== 'running' || slot.removed || slot.current !== undefined) return;
      slot.restarts++;
      this.#restarts++;
      this.#fork(slot, 'crash');
    };
    if (delay === 0) restart();
    else {
      slot.restartTimer = setTimeout(restart, delay);
      slot.restartTimer.unref();
    }
  }

  #enterCrashLoop(m: Managed, code: number | null, signal: string | null): void {
    if (this.#state !== 'running') return;
    this.#state = 'crashed';
    for (const slot of this.#slots) {
      clearTimeout(slot.restartTimer);
      slot.restartTimer = undefined;
    }
    const cause = {
      slot: m.slot.id,
      code,
      signal,
      ...(m.startError === undefined ? {} : { error: m.startError }),
    };
    this.#crashLoopError = new WorkerExitError('process', m.pid, code, {
      cause: new Error(
        `crash loop: ${this.#crashTimes.length} crashes within ${this.#options.crashLoopWindowMs} ms` +
          (m.startError ? `; last error: ${m.startError}` : ''),
      ),
    });
    this.emit('crashloop:detected', {
      crashes: this.#crashTimes.length,
      windowMs: this.#options.crashLoopWindowMs,
      cause,
    });
    this.#checkAllReady();
  }

  /** Drains `m` (or kills it when `force`); resolves when it exited. */
  #retire(m: Managed, force: boolean): Promise<void> {
    if (!m.alive) return Promise.resolve();
    if (!m.retiring) {
      m.retiring = true;
      m.state = 'draining';
      m.drainSentAt = now();
      if (force) this.#kill(m);
      else {
        this.#send(m, envelope(MSG_DRAIN));
        // The worker bounds its own drain by shutdownTimeoutMs; this is the backstop.
        m.killTimer = setTimeout(() => this.#kill(m), this.#options.shutdownTimeoutMs + 250);
      }
    }
    return m.exited.promise;
  }

  /**
   * Starts a replacement in `slot`, waits for it to be ready, then retires the old worker.
   * Resolves once the new worker serves; `retired` settles when the old one exited.
   */
  async #replace(slot: Slot, reason: WorkerStartReason, force: boolean): Promise<{ retired: Promise<void> }> {
    if (this.#state !== 'running' || slot.incoming !== undefined) return { retired: Promise.resolve() };
    const old = slot.current;
    const next = this.#fork(slot, reason);
    try {
      await next.ready.promise;
    } catch (error) {
      if (this.#state === 'running' && slot.current === undefined && slot.incoming === undefined) {
        this.#scheduleRestart(slot, 0);
      }
      throw error;
    }
    if (slot.incoming === next) {
      slot.incoming = undefined;
      slot.current = next;
    }
    this.#syncRouter(slot);
    return { retired: old && old !== next ? this.#retire(old, force) : Promise.resolve() };
  }

  /** Points the sticky router's slot at the slot's ready worker (or marks it down). */
  #syncRouter(slot: Slot): void {
    const router = this.#router;
    if (!router || router.closed || slot.removed) return;
    const current = slot.current;
    router.setWorker(slot.id, current?.state === 'ready' && current.alive ? current.worker : undefined);
  }

  #checkMemory(m: Managed): void {
    const limit = this.#options.maxMemoryMb;
    if (limit <= 0 || !m.sample || m.state !== 'ready' || m.retiring) return;
    const value = this.#options.memoryMetric === 'rss' ? m.sample.rss : m.sample.heapUsed;
    if (value <= limit * 1024 * 1024) return;
    if (m.slot.current !== m || m.slot.incoming !== undefined || this.#state !== 'running') return;
    this.emit('worker:unhealthy', { slot: m.slot.id, pid: m.pid, reason: 'memory', value });
    this.#replace(m.slot, 'memory', false).catch(noop);
  }

  #checkHeartbeats(): void {
    const timeout = this.#options.heartbeatTimeoutMs;
    if (timeout <= 0 || this.#state !== 'running') return;
    const t = now();
    for (const m of this.#managed) {
      if (m.state !== 'ready' || m.retiring || m.slot.current !== m || m.slot.incoming !== undefined)
        continue;
      const age = t - (m.lastHeartbeat ?? m.readyAt ?? t);
      if (age <= timeout) continue;
      this.emit('worker:unhealthy', { slot: m.slot.id, pid: m.pid, reason: 'heartbeat', value: age });
      // A blocked worker cannot drain; it is killed as soon as its replacement serves.
      this.#replace(m.slot, 'heartbeat', true).catch(noop);
    }
  }

  #autoscale(): void {
    const scale = this.#options.autoscale;
    if (!scale || this.#state !== 'running' || this.#reloading > 0 || this.#eluCount === 0) return;
    const utilization = this.#eluSum / this.#eluCount;
    this.#eluSum = 0;
    this.#eluCount = 0;
    const live = this.#slots.filter((s) => !s.removed);
    // Wait until the previous decision settled (every slot ready, no replacement running).
    if (live.some((s) => s.current?.state !== 'ready' || s.incoming !== undefined)) return;
    const from = live.length;
    if (utilization > scale.scaleUpUtilization && from < scale.max) {
      this.#fork(this.#addSlot(), 'scale');
      this.emit('workers:scaled', { from, to: from + 1, utilization });
    } else if (utilization < scale.scaleDownUtilization && from > scale.min) {
      const slot = live[live.length - 1];
      if (!slot) return;
      slot.removed = true;
      this.#slots.splice(this.#slots.indexOf(slot), 1);
      this.#router?.removeSlot(slot.id);
      if (slot.current) void this.#retire(slot.current, false);
      this.emit('workers:scaled', { from, to: from - 1, utilization });
    }
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
    const run = this.#reloadChain.then(() => this.#reload());
    this.#reloadChain = run.catch(noop);
    return run;
  }

  async #reload(): Promise<void> {
    if (this.#state !== 'running') throw new ClosedError(`ClusterSupervisor is ${this.#state}`);
    const started = now();
    this.#reloading++;
    try {
      const slots = this.#slots.filter((s) => !s.removed);
      const retired: Promise<void>[] = [];
      const k = this.#options.reloadConcurrency;
      for (let i = 0; i < slots.length; i += k) {
        const batch = slots.slice(i, i + k);
        const results = await Promise.all(batch.map((slot) => this.#replace(slot, 'reload', false)));
        retired.push(...results.map((r) => r.retired));
      }
      await Promise.all(retired);
      this.#reloads++;
      this.emit('reload:completed', { durationMs: now() - started, replaced: slots.length });
    } finally {
      this.#reloading--;
    }
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
    this.#state = 'stopping';
    clearInterval(this.#checkTimer);
    clearInterval(this.#scaleTimer);
    for (const slot of this.#slots) {
      clearTimeout(slot.restartTimer);
      slot.restartTimer = undefined;
    }
    this.#checkAllReady();
    if (this.#options.preStopDelayMs > 0) {
      for (const m of this.#managed) this.#send(m, envelope(MSG_PRESTOP));
      await new Promise((resolve) => setTimeout(resolve, this.#options.preStopDelayMs));
    }
    // Stop accepting in the primary first (sticky mode); handed-over connections drain in the workers.
    await this.#router?.close();
    await Promise.all([...this.#managed].map((m) => this.#retire(m, false)));
    await new Promise<void>((resolve) => {
      if (!this.#metricsServer) return resolve();
      this.#metricsServer.close(() => resolve());
      this.#metricsServer.closeAllConnections();
    });
    this.#removeSignals();
    this.#state = 'stopped';
    this.emit('supervisor:stopped');
  }

  /** `true` from the moment `stop()`/`close()`/`destroy()` is first called. */
  get closed(): boolean {
    return this.#state === 'stopping' || this.#state === 'stopped';
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
    this.#forceKill();
    await stopping;
  }

  /** Calls {@link ClusterSupervisor.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /**
   * Health of the cluster as a core `HealthCheck`: `healthy` when every slot has a ready worker,
   * `degraded` when some do, `critical` when none do or after a crash loop or stop.
   *
   * @returns the status with `ready`, `desired`, `crashes` and `restarts` in `details`.
   */
  async check(): Promise<HealthCheckResult> {
    const live = this.#slots.filter((s) => !s.removed);
    const ready = live.filter((s) => s.current?.state === 'ready').length;
    const details = { ready, desired: live.length, crashes: this.#crashes, restarts: this.#restarts };
    if (this.#state !== 'running' || ready === 0) {
      return {
        status: 'critical',
        message: `cluster ${this.#state}, ${ready}/${live.length} workers ready`,
        details,
      };
    }
    if (ready < live.length) {
      return { status: 'degraded', message: `${ready}/${live.length} workers ready`, details };
    }
    return { status: 'healthy', details };
  }

  /** Kills every worker at once (`SIGKILL`) — the second-signal path. */
  #forceKill(): void {
    for (const m of this.#managed) this.#kill(m);
  }

  #installSignals(): void {
    const onStop = (): void => {
      this.#signalCount++;
      if (this.#signalCount > 1) {
        this.#forceKill();
        process.exit(1);
      }
      this.stop().then(
        () => process.exit(process.exitCode ?? 0),
        () => process.exit(1),
      );
    };
    const onReload = (): void => {
      this.reload().catch(noop);
    };
    this.#signalHandlers = [
      ['SIGTERM', onStop],
      ['SIGINT', onStop],
      ['SIGHUP', onReload],
    ];
    for (const [signal, handler] of this.#signalHandlers) process.on(signal, handler);
  }

  #removeSignals(): void {
    for (const [signal, handler] of this.#signalHandlers) process.off(signal, handler);
    this.#signalHandlers = [];
  }

  async #startMetrics(options: NonNullable<ResolvedClusterSupervisorOptions['metrics']>): Promise<void> {
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
      const health = this.health();
      const body = health === undefined ? this.stats() : { ...this.stats(), health };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    });
    this.#metricsServer = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.unref();
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
    const snapshots: Record<string, HealthSnapshot> = {};
    let any = false;
    for (const m of this.#managed) {
      const h = m.sample?.health;
      if (m.state === 'draining' || typeof h !== 'object' || h === null) continue;
      snapshots[m.slot.id] = h as HealthSnapshot;
      any = true;
    }
    if (!any) return undefined;
    try {
      return aggregateHealth(snapshots, { staleAfterMs: this.#options.heartbeatTimeoutMs });
    } catch {
      // A worker sent something that is not a snapshot: report no aggregate rather than throw.
      return undefined;
    }
  }

  /**
   * A fresh snapshot of the cluster: every live worker's pid, state, uptime, restarts, memory,
   * event-loop delay and utilisation, requests in flight (from its latest heartbeat), and the
   * supervisor's counters.
   *
   * @returns the snapshot.
   */
  stats(): ClusterStats {
    const t = now();
    const workers: WorkerStats[] = [];
    for (const m of this.#managed) {
      const s = m.sample;
      workers.push({
        slot: m.slot.id,
        id: m.worker.id,
        pid: m.pid,
        state: m.state,
        uptimeMs: t - m.forkedAt,
        restarts: m.slot.restarts,
        rssBytes: s?.rss ?? 0,
        heapUsedBytes: s?.heapUsed ?? 0,
        eventLoopDelayMs: s?.eld ?? 0,
        eventLoopDelayP99Ms: s?.eldP99 ?? 0,
        eventLoopUtilization: s?.elu ?? 0,
        requestsInFlight: s?.inFlight ?? 0,
        requestsTotal: s?.requests ?? 0,
        lastHeartbeatAgeMs: m.lastHeartbeat === undefined ? -1 : t - m.lastHeartbeat,
        ...(s?.health === undefined ? {} : { health: s.health as JsonValue }),
        ...(s?.metrics === undefined ? {} : { metrics: s.metrics }),
      });
    }
    workers.sort((a, b) => a.slot.localeCompare(b.slot, 'en', { numeric: true }) || a.uptimeMs - b.uptimeMs);
    return {
      state: this.#state,
      desiredWorkers: this.#slots.filter((s) => !s.removed).length,
      workers,
      restarts: this.#restarts,
      crashes: this.#crashes,
      droppedMessages: this.#dropped,
      reloads: this.#reloads,
    };
  }
}

function isInt(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}

function isNonNegative(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}
