import cluster, { type Worker } from 'node:cluster';
import { performance } from 'node:perf_hooks';
import { WorkerExitError } from '../core/errors/WorkerExitError.js';
import type { WorkerStartReason } from './ClusterStats.js';
import { PORT_ENV, SLOT_ENV } from './ClusterWorker.js';
import { deferred } from './deferred.js';
import type { ManagedWorker, WorkerSlot } from './ManagedWorker.js';
import { envelope, type LoadstoneMessage, MSG_DRAIN } from './protocol.js';
import { isShuttingDown, type SupervisorHost } from './SupervisorHost.js';
import type { StickyRouter } from './sticky/index.js';

/** What the spawner reports to the supervisor. */
export type WorkerSpawnerHost = SupervisorHost & {
  /** Handles every IPC message of a worker. */
  readonly messages: { handle(m: ManagedWorker, message: unknown): void };
  /** A ready worker reported the port it listens on. */
  portReported(port: number): void;
  /** A worker exited without being asked to. */
  crashed(m: ManagedWorker, code: number | null, signal: string | null): void;
  /** A worker became ready or exited: the slots' readiness may have changed. */
  slotsChanged(): void;
  /** `m` is ready: announce it (before the `worker:ready` event). */
  workerOnline(m: ManagedWorker): void;
  /** `m` exited (`expected` when the supervisor retired it): free what it held, announce it. */
  workerGone(m: ManagedWorker, code: number | null, signal: string | null, expected: boolean): void;
};

const noop = (): void => {};

/**
 * The slots and their worker processes: forks a worker into a slot, tracks it from start to exit,
 * drains or kills it, and keeps the sticky router pointed at each slot's ready worker. It decides
 * nothing: restarts, replacements and scaling are its callers'.
 */
export class WorkerSpawner {
  readonly #host: WorkerSpawnerHost;
  readonly #slots: WorkerSlot[] = [];
  readonly #managed = new Set<ManagedWorker>();
  #nextSlot = 0;
  #router: StickyRouter | undefined;
  #boundPort: number | undefined;

  constructor(host: WorkerSpawnerHost) {
    this.#host = host;
  }

  /** Every slot, in creation order (removed ones leave the list). */
  get slots(): readonly WorkerSlot[] {
    return this.#slots;
  }

  /** Every worker process alive now, starting, ready or draining. */
  get managed(): ReadonlySet<ManagedWorker> {
    return this.#managed;
  }

  /** The slots not removed by scaling down. */
  liveSlots(): WorkerSlot[] {
    return this.#slots.filter((s) => !s.removed);
  }

  /** Every worker forked from now on binds `port` (the one picked for `port: 0`). */
  usePort(port: number): void {
    this.#boundPort = port;
  }

  /** Routes sticky connections from now on (the primary owns the port). */
  useRouter(router: StickyRouter): void {
    this.#router = router;
  }

  *connectedWorkers(): Iterable<Worker> {
    for (const m of this.#managed) if (m.alive && m.worker.isConnected()) yield m.worker;
  }

  addSlot(): WorkerSlot {
    const slot: WorkerSlot = {
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

  /** Takes `slot` out (scaling down) and drains its worker. */
  removeSlot(slot: WorkerSlot): void {
    slot.removed = true;
    this.#slots.splice(this.#slots.indexOf(slot), 1);
    this.#router?.removeSlot(slot.id);
    if (slot.current) void this.retire(slot.current, false);
  }

  fork(slot: WorkerSlot, reason: WorkerStartReason): ManagedWorker {
    const options = this.#host.options;
    const bound = this.#boundPort;
    const env = {
      ...options.env,
      [SLOT_ENV]: slot.id,
      ...(bound === undefined ? {} : { [PORT_ENV]: String(bound) }),
    };
    const worker =
      options.execArgv.length === 0 ? cluster.fork(env) : forkWithExecArgv(env, options.execArgv);
    const m: ManagedWorker = {
      worker,
      pid: worker.process.pid ?? -1,
      slot,
      reason,
      forkedAt: performance.now(),
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
    const messages = this.#host.messages;
    worker.on('message', (message: unknown) => messages.handle(m, message));
    worker.on('exit', (code: number | null, signal: string | null) => this.#onExit(m, code, signal));
    // Sends to a worker that just died fail with EPIPE / ERR_IPC_CHANNEL_CLOSED: nothing to do.
    worker.on('error', noop);
    m.readyTimer = setTimeout(() => {
      m.startError ??= `not ready within readyTimeoutMs (${options.readyTimeoutMs} ms)`;
      this.kill(m);
    }, options.readyTimeoutMs);
    this.#host.events.emit('worker:started', { slot: slot.id, pid: m.pid, reason });
    return m;
  }

  send(m: ManagedWorker, message: LoadstoneMessage): void {
    if (!m.alive || !m.worker.isConnected()) return;
    try {
      m.worker.send(message, undefined, {}, noop);
    } catch {
      // channel closed between the check and the send
    }
  }

  kill(m: ManagedWorker): void {
    if (!m.alive) return;
    m.killed = true;
    try {
      m.worker.process.kill('SIGKILL');
    } catch {
      // already gone
    }
  }

  /** Kills every worker at once (`SIGKILL`) — the second-signal path. */
  killAll(): void {
    for (const m of this.#managed) this.kill(m);
  }

  /** Drains `m` (or kills it when `force`); resolves when it exited. */
  retire(m: ManagedWorker, force: boolean): Promise<void> {
    if (!m.alive) return Promise.resolve();
    if (!m.retiring) {
      m.retiring = true;
      m.state = 'draining';
      m.drainSentAt = performance.now();
      if (force) this.kill(m);
      else {
        this.send(m, envelope(MSG_DRAIN));
        // The worker bounds its own drain by shutdownTimeoutMs; this is the backstop.
        m.killTimer = setTimeout(() => this.kill(m), this.#host.options.shutdownTimeoutMs + 250);
      }
    }
    return m.exited.promise;
  }

  /** Points the sticky router's slot at the slot's ready worker (or marks it down). */
  syncRouter(slot: WorkerSlot): void {
    const router = this.#router;
    if (!router || router.closed || slot.removed) return;
    const current = slot.current;
    router.setWorker(slot.id, current?.state === 'ready' && current.alive ? current.worker : undefined);
  }

  /** `m` reported ready (listening on `port`, when it listens itself). */
  markReady(m: ManagedWorker, port: number | undefined): void {
    const host = this.#host;
    clearTimeout(m.readyTimer);
    m.state = 'ready';
    m.readyAt = performance.now();
    m.lastHeartbeat ??= m.readyAt;
    if (port !== undefined) host.portReported(port);
    host.workerOnline(m);
    host.events.emit('worker:ready', {
      slot: m.slot.id,
      pid: m.pid,
      startupMs: m.readyAt - m.forkedAt,
      port,
    });
    m.ready.resolve();
    this.syncRouter(m.slot);
    // A worker ready after stop() began (or in a removed slot) is drained right away.
    if (isShuttingDown(host.state()) || m.slot.removed) {
      void this.retire(m, false);
    }
    host.slotsChanged();
  }

  #onExit(m: ManagedWorker, code: number | null, signal: string | null): void {
    const host = this.#host;
    m.alive = false;
    clearTimeout(m.readyTimer);
    clearTimeout(m.killTimer);
    this.#managed.delete(m);
    const t = performance.now();
    const slot = m.slot;
    const expected = m.retiring || isShuttingDown(host.state());
    host.workerGone(m, code, signal, expected);
    host.events.emit('worker:exited', {
      slot: slot.id,
      pid: m.pid,
      code,
      signal,
      expected,
      uptimeMs: t - m.forkedAt,
      ...(m.startError === undefined ? {} : { error: m.startError }),
    });
    if (m.retiring && m.drainSentAt !== undefined) {
      host.events.emit('worker:retired', {
        slot: slot.id,
        pid: m.pid,
        lingerMs: t - m.drainSentAt,
        killed: m.killed,
      });
    }
    if (slot.current === m) slot.current = undefined;
    if (slot.incoming === m) slot.incoming = undefined;
    this.syncRouter(slot);
    const error = new WorkerExitError('process', m.pid, code, {
      cause: m.startError === undefined ? undefined : new Error(m.startError),
    });
    m.ready.reject(error);
    m.exited.resolve();
    if (!expected) host.crashed(m, code, signal);
    host.slotsChanged();
  }
}

/**
 * Forks with `execArgv` after the primary's own Node options. `cluster.fork` reads them from the
 * process-wide `cluster.settings`: set for this fork only, then put back as they were.
 */
function forkWithExecArgv(env: Record<string, string>, execArgv: readonly string[]): Worker {
  const before = cluster.settings.execArgv;
  cluster.setupPrimary({ execArgv: [...(before ?? process.execArgv), ...execArgv] });
  try {
    return cluster.fork(env);
  } finally {
    cluster.setupPrimary({ execArgv: before ?? process.execArgv });
  }
}
