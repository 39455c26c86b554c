import cluster from 'node:cluster';
import { performance } from 'node:perf_hooks';
import { ClosedError } from '../../core/errors/ClosedError.js';
import { InvalidOptionError } from '../../core/errors/InvalidOptionError.js';
import { type ErrorCode, errors } from '../../core/errors/index.js';
import { LoadstoneError } from '../../core/errors/LoadstoneError.js';
import { TimeoutError } from '../../core/errors/TimeoutError.js';
import { type ClusterStateHost, stateHostLinks } from './ClusterStateHost.js';
import {
  isCallId,
  MAX_CALLS_PER_MESSAGE,
  STATE_CALLS,
  STATE_REPLIES,
  type StateCall,
  stateEnvelope,
  stateItems,
} from './messages.js';

/** How the cluster-wide parts reach the primary's state: by IPC in a worker, directly in the primary. @internal */
export type PrimaryLink = {
  /**
   * Calls `op` in the primary.
   * @param untimed - `true` for a call that may wait in the primary (a pool permit) and is bounded
   *   by its caller instead: it does not time out after {@link CALL_TIMEOUT_MS}.
   * @returns the answer: a value or a promise in the primary, a promise in a worker.
   * @throws (or rejects with) the service's error; in a worker a {@link TimeoutError} after
   *   {@link CALL_TIMEOUT_MS}, or a {@link ClosedError} when the IPC channel to the primary is closed.
   */
  call(op: string, args: unknown[], untimed?: boolean): unknown;
};

/**
 * Longest wait for the primary's answer. The primary answers from memory in microseconds; a
 * call this late means the primary is stuck, and the caller must not hang with it.
 * @internal
 */
export const CALL_TIMEOUT_MS = 5_000;

/**
 * The link for a part built with `options.host` (or none): the host's direct link in the primary,
 * the process's IPC link in a worker.
 * @internal
 */
export function primaryLink(what: string, host: unknown): PrimaryLink {
  if (cluster.isWorker) {
    if (host !== undefined) throw new InvalidOptionError('options.host', 'absent in a cluster worker', host);
    ipcLink ??= new IpcLink();
    return ipcLink;
  }
  const link =
    typeof host === 'object' && host !== null ? stateHostLinks.get(host as ClusterStateHost) : undefined;
  if (link === undefined) {
    throw new InvalidOptionError(
      'options.host',
      `a ClusterStateHost (required for a ${what} in the cluster primary: supervisor.clusterState)`,
      host,
    );
  }
  return link;
}

let ipcLink: IpcLink | undefined;

type Pending = {
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: Error) => void;
  /** `Infinity` for an untimed call. */
  readonly deadline: number;
};

/**
 * A worker's calls to the primary: those made in one event-loop turn go as one IPC message
 * (sent from `setImmediate`), their answers come back as one. One timer for every call in
 * flight: calls share one timeout, so the oldest is always the next to expire.
 */
class IpcLink implements PrimaryLink {
  #nextId = 0;
  #batch: StateCall[] = [];
  #batchIds: number[] = [];
  // Insertion order is deadline order: every timed call has the same timeout.
  readonly #pending = new Map<number, Pending>();
  readonly #untimed = new Map<number, Pending>();
  #timer: NodeJS.Timeout | undefined;
  #listening = false;

  call(op: string, args: unknown[], untimed = false): Promise<unknown> {
    if (!process.connected || process.send === undefined) {
      return Promise.reject(new ClosedError('the IPC channel to the cluster primary'));
    }
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      if (untimed) this.#untimed.set(id, { resolve, reject, deadline: Number.POSITIVE_INFINITY });
      else {
        this.#pending.set(id, { resolve, reject, deadline: performance.now() + CALL_TIMEOUT_MS });
        this.#timer ??= setTimeout(this.#expire, CALL_TIMEOUT_MS).unref();
      }
      if (this.#batch.length === 0) setImmediate(this.#flush);
      this.#batch.push([id, op, ...args]);
      this.#batchIds.push(id);
      this.#listen();
    });
  }

  readonly #flush = (): void => {
    const batch = this.#batch;
    const ids = this.#batchIds;
    this.#batch = [];
    this.#batchIds = [];
    const failed = (error: unknown): void => {
      const closed = new ClosedError('the IPC channel to the cluster primary', { cause: error });
      for (const id of ids) this.#settle(id)?.reject(closed);
    };
    // The primary refuses a message of more than MAX_CALLS_PER_MESSAGE calls (so one message
    // cannot stall it): a burst bigger than that goes as several.
    for (let from = 0; from < batch.length; from += MAX_CALLS_PER_MESSAGE) {
      const chunk = batch.slice(from, from + MAX_CALLS_PER_MESSAGE);
      try {
        process.send?.(stateEnvelope(STATE_CALLS, chunk), undefined, {}, (error: Error | null) => {
          if (error) failed(error);
        });
      } catch (error) {
        failed(error);
        return;
      }
    }
  };

  readonly #onMessage = (message: unknown): void => {
    const items = stateItems(message, STATE_REPLIES);
    if (items === undefined) return;
    for (const item of items) {
      if (!Array.isArray(item) || !isCallId(item[0])) continue;
      const call = this.#settle(item[0]);
      if (call === undefined) continue; // timed out already
      if (item[1] === 0) call.resolve(item[2]);
      else call.reject(replyError(item[2], item[3]));
    }
  };

  readonly #onDisconnect = (): void => {
    const closed = new ClosedError('the IPC channel to the cluster primary');
    for (const id of [...this.#pending.keys(), ...this.#untimed.keys()]) this.#settle(id)?.reject(closed);
  };

  readonly #expire = (): void => {
    this.#timer = undefined;
    const now = performance.now();
    for (const [id, call] of this.#pending) {
      if (call.deadline > now) {
        this.#timer = setTimeout(this.#expire, Math.max(1, Math.ceil(call.deadline - now))).unref();
        return;
      }
      this.#settle(id);
      call.reject(new TimeoutError('a call to the cluster primary', CALL_TIMEOUT_MS));
    }
  };

  /** Forgets call `id` and returns it, or `undefined` when it is already settled. */
  #settle(id: number): Pending | undefined {
    let call = this.#pending.get(id);
    if (call !== undefined) {
      this.#pending.delete(id);
      if (this.#pending.size === 0) this.#stopTimer();
    } else {
      call = this.#untimed.get(id);
      if (call === undefined) return undefined;
      this.#untimed.delete(id);
    }
    if (this.#pending.size === 0 && this.#untimed.size === 0) this.#idle();
    return call;
  }

  #stopTimer(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /**
   * Listens only while calls are in flight: a `message` listener keeps the IPC channel, and so the
   * worker, alive.
   */
  #listen(): void {
    if (this.#listening) return;
    this.#listening = true;
    process.on('message', this.#onMessage);
    process.on('disconnect', this.#onDisconnect);
  }

  #idle(): void {
    if (!this.#listening) return;
    this.#listening = false;
    process.off('message', this.#onMessage);
    process.off('disconnect', this.#onDisconnect);
  }
}

/** The error the primary answered with, as the loadstone error of its code. */
function replyError(code: unknown, message: unknown): Error {
  const text = typeof message === 'string' ? message : 'the cluster primary refused the call';
  if (typeof code === 'string' && Object.hasOwn(errors, code))
    return new LoadstoneError(code as ErrorCode, text);
  return new LoadstoneError('ERR_LOADSTONE_INVALID_OPTION', text);
}
