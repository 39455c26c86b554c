import { performance } from 'node:perf_hooks';
import type { JsonValue } from '../core/Json.js';
import type { ClusterBusRelay } from './bus/index.js';
import type { ManagedWorker } from './ManagedWorker.js';
import {
  isLoadstoneMessage,
  isMetricFamilies,
  type LoadstoneMessage,
  MSG_DRAINED,
  MSG_HEARTBEAT,
  MSG_READY,
  MSG_START_FAILED,
} from './protocol.js';
import type { SupervisorHost } from './SupervisorHost.js';
import type { ClusterStateHost } from './state/index.js';
import { STICKY_CLOSED } from './sticky/messages.js';

/** Where the handler sends what a worker reported. */
export type WorkerMessageHost = SupervisorHost & {
  readonly relay: ClusterBusRelay;
  readonly clusterState: ClusterStateHost;
  /** `m` reported ready (and the port it listens on, when it listens itself). */
  workerReady(m: ManagedWorker, port: number | undefined): void;
  /** `m` sent a heartbeat; its `lastHeartbeat` and `sample` are updated. */
  heartbeat(m: ManagedWorker): void;
  /** `m` reports `n` handed sticky connections closed; `false` when `n` is malformed. */
  stickyClosed(m: ManagedWorker, n: unknown): boolean;
};

const HEARTBEAT_FIELDS = [
  'rss',
  'heapUsed',
  'eld',
  'eldP99',
  'elu',
  'inFlight',
  'requests',
  'connections',
  'refused',
] as const;

/**
 * Validates each loadstone IPC message from a worker and passes it on: readiness, heartbeats, start
 * errors, bus traffic. A malformed or unexpected message is dropped and counted, never thrown.
 */
export class WorkerMessageHandler {
  readonly #host: WorkerMessageHost;
  #dropped = 0;
  /** Connections the workers refused since start, retired workers' included. */
  connectionsRefused = 0;

  constructor(host: WorkerMessageHost) {
    this.#host = host;
  }

  /** Loadstone messages dropped since start. */
  get dropped(): number {
    return this.#dropped;
  }

  handle(m: ManagedWorker, message: unknown): void {
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
          this.#host.workerReady(m, port as number | undefined);
          return;
        }
        case MSG_HEARTBEAT:
          this.#heartbeat(m, message);
          return;
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
            if (!this.#host.relay.receive(m.worker, message)) this.#drop(m, message, 'malformed bus message');
            return;
          }
          if (message.type === STICKY_CLOSED) {
            if (!this.#host.stickyClosed(m, message.n)) this.#drop(m, message, 'invalid sticky:closed count');
            return;
          }
          if (message.type.startsWith('state:')) {
            if (!this.#host.clusterState.receive(m.worker, message)) {
              this.#drop(m, message, 'malformed state message');
            }
            return;
          }
          this.#drop(m, message, 'unexpected type');
      }
    } catch {
      // A plugin must never take the primary down because of one message.
      this.#drop(m, message, 'handler threw');
    }
  }

  #heartbeat(m: ManagedWorker, message: LoadstoneMessage): void {
    const s = message as unknown as Record<string, unknown>;
    for (const f of HEARTBEAT_FIELDS) {
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
    m.lastHeartbeat = performance.now();
    // The worker's count only grows while it lives: add what it refused since its last beat.
    this.connectionsRefused += Math.max(0, (s.refused as number) - (m.sample?.refused ?? 0));
    m.sample = {
      rss: s.rss as number,
      heapUsed: s.heapUsed as number,
      eld: s.eld as number,
      eldP99: s.eldP99 as number,
      elu: s.elu as number,
      inFlight: s.inFlight as number,
      requests: s.requests as number,
      connections: s.connections as number,
      refused: s.refused as number,
      health: s.health,
      metrics,
    };
    this.#host.heartbeat(m);
  }

  #drop(m: ManagedWorker, message: LoadstoneMessage | undefined, reason: string): void {
    this.#dropped++;
    this.#host.events.emit('message:dropped', { pid: m.pid, type: message?.type, reason });
  }
}

function isInt(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}

function isNonNegative(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}
