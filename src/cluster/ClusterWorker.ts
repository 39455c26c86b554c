import cluster from 'node:cluster';
import type { Server } from 'node:net';
import { performance } from 'node:perf_hooks';
import { InvalidOptionError } from '../core/errors/InvalidOptionError.js';
import { timedOutWaiting } from '../core/internal/deadline.js';
import { ServerDrainer } from '../core/internal/ServerDrainer.js';
import { implementationOption } from '../core/internal/validate.js';
import { ProcessSampler } from '../health/index.js';
import { ConnectionCap } from './ConnectionCap.js';
import {
  envelope,
  isLoadstoneMessage,
  MSG_DRAIN,
  MSG_DRAINED,
  MSG_HEARTBEAT,
  MSG_PRESTOP,
  MSG_READY,
  MSG_START_FAILED,
} from './protocol.js';
import type { ResolvedClusterSupervisorOptions } from './resolveClusterOptions.js';
import { acceptStickyConnections } from './sticky/index.js';
import type {
  ServerFactory,
  ShutdownAwareHealth,
  ShutdownCloseable,
  WorkerContext,
} from './WorkerContext.js';

/** Environment variable carrying a worker's slot id. @internal */
export const SLOT_ENV = 'LOADSTONE_SLOT';
/** Environment variable carrying the port the primary picked for `port: 0` (see pickFreePort). @internal */
export const PORT_ENV = 'LOADSTONE_BOUND_PORT';

/**
 * The worker side of {@link supervise}: builds the server with the factory, listens, reports
 * ready and heartbeats to the primary, and drains on the primary's request (or on SIGTERM, or when
 * the primary disappears). Created by {@link supervise} in a worker process; not constructed directly.
 */
export class ClusterWorker {
  /** Distinguishes the worker-side result of {@link supervise} from the primary's. */
  readonly role = 'worker' as const;
  /** Stable slot id. */
  readonly slot: string;
  /** Resolves once the server listens and `ready()` resolved; rejects when start failed. */
  readonly ready: Promise<void>;
  readonly #options: ResolvedClusterSupervisorOptions;
  readonly #abort = new AbortController();
  readonly #closeables: ShutdownCloseable[] = [];
  #health: ShutdownAwareHealth | undefined;
  #metrics: { collect(): unknown } | undefined;
  #server: Server | undefined;
  #drainer: ServerDrainer | undefined;
  #connections: ConnectionCap | undefined;
  #drainPromise: Promise<void> | undefined;
  #heartbeat: NodeJS.Timeout | undefined;
  #startedAt = performance.now();

  /** @internal */
  constructor(factory: ServerFactory, options: ResolvedClusterSupervisorOptions) {
    this.#options = options;
    this.slot = process.env[SLOT_ENV] ?? `w${cluster.worker?.id ?? 0}`;
    // The primary coordinates shutdown: a terminal's Ctrl-C reaches the whole process group, so
    // SIGINT (and SIGHUP) here are ignored; the primary sends the drain request.
    process.on('SIGINT', () => {});
    process.on('SIGHUP', () => {});
    process.on('SIGTERM', () => void this.drain());
    // The primary is gone (killed, or it crashed): Node's cluster module would exit this worker
    // at once, cutting every request in flight. Its own 'disconnect' handler runs this listener
    // first and exits only when the disconnect was not asked for, so marking it as asked for
    // lets the worker drain instead; the drain then ends the process.
    cluster.worker?.once('disconnect', () => {
      if (cluster.worker) cluster.worker.exitedAfterDisconnect = true;
      void this.drain();
    });
    process.on('disconnect', () => void this.drain());
    process.on('message', (message: unknown) => {
      if (!isLoadstoneMessage(message)) return;
      if (message.type === MSG_DRAIN) void this.drain();
      else if (message.type === MSG_PRESTOP) this.#health?.beginShutdown();
    });
    this.ready = this.#start(factory);
    this.ready.catch(() => {});
  }

  /** The server built by the factory (`undefined` until the factory returned). */
  get server(): Server | undefined {
    return this.#server;
  }

  async #start(factory: ServerFactory): Promise<void> {
    try {
      const context: WorkerContext = {
        slot: this.slot,
        signal: this.#abort.signal,
        register: (closeable) => {
          this.#closeables.push(
            implementationOption<ShutdownCloseable>(
              'closeable',
              closeable,
              ['close'],
              'an object with close()',
            ),
          );
        },
        useHealth: (monitor) => {
          this.#health = implementationOption<ShutdownAwareHealth>(
            'monitor',
            monitor,
            ['beginShutdown'],
            'a health monitor with beginShutdown()',
          );
        },
        useMetrics: (source) => {
          this.#metrics = implementationOption<{ collect(): unknown }>(
            'source',
            source,
            ['collect'],
            'an object with collect()',
          );
        },
      };
      const server = await factory(context);
      if (typeof server?.listen !== 'function')
        throw new InvalidOptionError("the server factory's result", 'a net/http Server', server);
      this.#server = server;
      this.#drainer = new ServerDrainer(server);
      // Before the first connection can arrive (listen or sticky hand-over below).
      this.#connections = new ConnectionCap(
        server,
        this.#options.maxConnectionsPerWorker ?? Number.POSITIVE_INFINITY,
      );
      let port: number | undefined;
      if (this.#options.sticky) {
        // The primary owns the port and hands connections over; kept until exit so a connection
        // handed over just before the drain still gets its `Connection: close` answer.
        acceptStickyConnections(server);
      } else {
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen(Number(process.env[PORT_ENV] ?? this.#options.port), this.#options.host, () => {
            server.off('error', reject);
            resolve();
          });
        });
        const address = server.address();
        port = typeof address === 'object' && address !== null ? address.port : undefined;
      }
      if (this.#options.ready) await this.#options.ready();
      if (this.#drainPromise) return;
      this.#startHeartbeat();
      send(envelope(MSG_READY, { port }));
    } catch (error) {
      const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
      send(envelope(MSG_START_FAILED, { error: message }), () => process.exit(1));
      throw error;
    }
  }

  #startHeartbeat(): void {
    // The health module's sampler: its event-loop delay has the histogram's timer resolution
    // taken off, so an idle worker reads about 0 ms, not the 20 ms resolution itself.
    const sampler = new ProcessSampler();
    const beat = (): void => {
      const sample = sampler.sample();
      let health: unknown;
      try {
        health = this.#health?.snapshot?.();
      } catch {
        health = undefined;
      }
      let metrics: unknown;
      try {
        metrics = this.#metrics?.collect();
      } catch {
        // A failing collector costs this beat's metrics, never the heartbeat itself.
        metrics = undefined;
      }
      send(
        envelope(MSG_HEARTBEAT, {
          rss: sample.rssBytes,
          heapUsed: sample.heapUsedBytes,
          eld: sample.eventLoopDelay.mean,
          eldP99: sample.eventLoopDelay.p99,
          elu: sample.eventLoopUtilization,
          inFlight: this.#drainer?.requestsInFlight ?? 0,
          requests: this.#drainer?.requestsTotal ?? 0,
          connections: this.#connections?.open ?? 0,
          refused: this.#connections?.refused ?? 0,
          health,
          metrics,
        }),
      );
    };
    beat();
    this.#heartbeat = setInterval(beat, this.#options.heartbeatIntervalMs);
    this.#heartbeat.unref();
  }

  /**
   * Drains and exits: readiness fails, the server stops accepting, in-flight requests finish with
   * `Connection: close`, idle keep-alive sockets expire after `drainKeepAliveTimeoutMs`, then the
   * registered closeables close in reverse order and the process exits. Idempotent.
   *
   * @returns resolves just before the process exits.
   */
  drain(): Promise<void> {
    this.#drainPromise ??= this.#drain();
    return this.#drainPromise;
  }

  async #drain(): Promise<void> {
    const began = performance.now();
    const deadline = began + this.#options.shutdownTimeoutMs;
    this.#abort.abort();
    try {
      this.#health?.beginShutdown();
    } catch {
      // A failing health monitor must not stop the drain.
    }
    clearInterval(this.#heartbeat);
    const drainer = this.#drainer;
    if (drainer) {
      drainer.begin(this.#options.drainKeepAliveTimeoutMs);
      // Leave a little of the budget for the closeables; the primary kills at the deadline anyway.
      const serverBudget = Math.max(0, (deadline - performance.now()) * 0.8);
      const timedOut = await timedOutWaiting(drainer.whenIdle(), serverBudget);
      if (timedOut) drainer.destroyAll();
    }
    const lingerMs = performance.now() - began;
    for (const closeable of this.#closeables.reverse()) {
      const left = deadline - performance.now();
      if (left <= 0) break;
      try {
        await timedOutWaiting(Promise.resolve(closeable.close()), left);
      } catch {
        // One failing closeable must not keep the others open.
      }
    }
    await new Promise<void>((resolve) => send(envelope(MSG_DRAINED, { lingerMs }), resolve));
    setImmediate(() => process.exit(0));
  }

  /** Milliseconds since this worker process started its runtime. */
  get uptimeMs(): number {
    return performance.now() - this.#startedAt;
  }
}

function send(message: object, done?: () => void): void {
  if (!process.send || !process.connected) {
    done?.();
    return;
  }
  try {
    process.send(message, undefined, {}, () => done?.());
  } catch {
    done?.();
  }
}
