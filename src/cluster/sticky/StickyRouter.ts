import type { Worker } from 'node:cluster';
import net, { type AddressInfo, type Socket } from 'node:net';
import { ClosedError } from '../../core/errors/ClosedError.js';
import { InvalidOptionError } from '../../core/errors/InvalidOptionError.js';
import { setOwnEntry } from '../../core/internal/ownEntry.js';
import { integerOption, nonEmptyStringOption } from '../../core/internal/validate.js';
import type { MetricsSource } from '../../core/MetricsSource.js';
import { ConsistentHashSharder } from '../../sharding/index.js';
import { refuseConnection } from '../refuseConnection.js';
import { pickBounded } from './boundedLoad.js';
import { clientOf } from './clientOf.js';
import { stickyConnectionMessage } from './messages.js';
import { parseProxyHeader } from './proxyProtocol.js';
import { readFirstBytes } from './readFirstBytes.js';
import {
  type ResolvedStickyRouterOptions,
  resolveStickyRouterOptions,
  type StickyRouterOptions,
} from './StickyRouterOptions.js';
import type { StickyRouterStats } from './StickyRouterStats.js';
import { addressKey, cookieValue, headEnd, headerValue } from './stickyKey.js';

type Slot = { readonly id: string; worker: Worker | undefined; handed: number; open: number };
type Waiting = {
  readonly socket: Socket;
  readonly key: string;
  readonly head: Buffer | undefined;
  timer: NodeJS.Timeout;
};
const ignore = (): void => {};
/** {@link StickyRouter}'s routing answer when every up worker is at `maxConnectionsPerSlot`. */
const FULL = Symbol('full');

/**
 * The cluster primary's side of sticky sessions: it owns the listening socket, and hands each
 * connection, with its file descriptor, to the worker that owns the client's key, so a client
 * keeps its worker across connections (long-polling, WebSocket upgrades, in-memory sessions).
 *
 * Keys are hashed with {@link ConsistentHashSharder} over stable *slot* ids (`'w0'`, `'w1'`, …),
 * not over worker processes: a worker that restarts comes back in the same slot, so only its own
 * clients wait for it, and they return to it. While a slot's worker is down its new connections
 * go to the next slot on the ring (not dropped); when no worker is up they wait, bounded by
 * `maxPending` and `pendingTimeoutMs`. Keep-alive stays on: a connection is routed once and
 * then belongs to its worker, so the primary's work is one IPC message per connection.
 *
 * By default the key is the client address, and connections are handed over unread. With a
 * header or cookie key the primary reads each connection's first request head (plaintext
 * HTTP/1 only) and passes those bytes along. Workers receive connections with
 * {@link acceptStickyConnections}.
 *
 * @example
 * {@includeCode ./StickyRouter.test.ts#stickyRouter}
 */
export class StickyRouter implements MetricsSource<StickyRouterStats> {
  readonly #options: ResolvedStickyRouterOptions;
  readonly #server: net.Server;
  readonly #slots = new Map<string, Slot>();
  readonly #pending = new Set<Waiting>();
  readonly #reading = new Set<Socket>();
  #sharder: ConsistentHashSharder | undefined;
  #connections = 0;
  #rerouted = 0;
  #overflowed = 0;
  #refused = 0;
  #dropped = 0;
  #acceptErrors = 0;
  #forwarded = 0;
  #proxyHeaderMissing = 0;
  #closed = false;

  /**
   * @param options - the routing key and the bounds on reading heads and waiting connections.
   * @throws {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION` for a bad option.
   */
  constructor(options?: StickyRouterOptions) {
    this.#options = resolveStickyRouterOptions(options);
    // pauseOnConnect: the primary must not read (address key) or must read only the head
    // (header key) before the handle moves to a worker.
    this.#server = net.createServer({ pauseOnConnect: true }, (socket) => this.#onConnection(socket));
    this.#server.on('error', () => {
      // Errors of listen() reject it (see below); later ones are failed accepts. Without this
      // listener either would crash the primary.
      if (this.#server.listening) this.#acceptErrors++;
    });
  }

  /** The address the router listens on, once `listen()` has resolved. */
  get address(): AddressInfo | undefined {
    const address = this.#server.address();
    return typeof address === 'object' && address !== null ? address : undefined;
  }

  /** `true` once `close()` has been called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Starts accepting connections.
   *
   * @param port - the TCP port, `0` for any free one (see {@link StickyRouter.address}).
   * @param host - the address to bind, e.g. `'127.0.0.1'`; all interfaces when omitted.
   * @returns a promise that resolves once listening.
   * @throws {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION`, as a rejection, for a bad
   *   port or host.
   * @throws {@link ClosedError} `ERR_LOADSTONE_CLOSED`, as a rejection, after `close()`.
   * @throws the listen error (e.g. `EADDRINUSE`), as a rejection.
   */
  async listen(port: number, host?: string): Promise<void> {
    if (this.#closed) throw new ClosedError('StickyRouter');
    integerOption('port', port, 0, 65_535);
    if (host !== undefined) nonEmptyStringOption('host', host);
    await new Promise<void>((resolve, reject) => {
      const onError = (error: Error): void => reject(error);
      this.#server.once('error', onError);
      this.#server.listen(port, host, () => {
        this.#server.off('error', onError);
        resolve();
      });
    });
  }

  /**
   * Puts `worker` in `slot`, or marks the slot down with `undefined`. A new slot id joins the
   * ring (moving about 1/n of the keys to it); an existing one keeps its keys, so calling this
   * with the replacement of a dead worker sends that worker's clients back to it. Connections
   * waiting for a worker are routed as soon as one is up.
   *
   * @param slot - a stable, non-empty id, e.g. `'w0'`.
   * @param worker - the slot's worker, or `undefined` while it has none.
   * @throws {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION` for an empty slot id or a
   *   worker without `send`.
   * @throws {@link ClosedError} `ERR_LOADSTONE_CLOSED` after `close()`.
   */
  setWorker(slot: string, worker: Worker | undefined): void {
    if (this.#closed) throw new ClosedError('StickyRouter');
    nonEmptyStringOption('slot', slot);
    if (worker !== undefined && typeof (worker as Partial<Worker> | null)?.send !== 'function') {
      throw new InvalidOptionError('worker', 'a cluster Worker or undefined', worker);
    }
    const existing = this.#slots.get(slot);
    if (existing !== undefined) {
      // Another worker in the slot: the old one's connections are its own, the new one has none.
      if (existing.worker !== worker) existing.open = 0;
      existing.worker = worker;
    } else {
      this.#slots.set(slot, { id: slot, worker, handed: 0, open: 0 });
      if (this.#sharder === undefined) this.#sharder = new ConsistentHashSharder({ nodes: [slot] });
      else this.#sharder.addNode(slot);
    }
    if (worker !== undefined && isUp(worker)) this.#flushPending();
  }

  /**
   * Removes a slot from the ring (scaling down): its keys move to the other slots, nobody
   * else's do. Removing an unknown slot does nothing.
   *
   * @param slot - the slot id.
   */
  removeSlot(slot: string): void {
    if (!this.#slots.delete(slot)) return;
    this.#sharder?.removeNode(slot);
  }

  /**
   * Stops accepting connections and closes those not yet handed to a worker (waiting, or
   * having their head read). Connections already handed over belong to their workers, which
   * drain them. Idempotent.
   *
   * @returns a promise that resolves once the listening socket is closed.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const waiting of this.#pending) {
      clearTimeout(waiting.timer);
      waiting.socket.destroy();
    }
    this.#pending.clear();
    for (const socket of this.#reading) socket.destroy();
    this.#reading.clear();
    // The server's own 'close' waits for every handed-over connection to end in its worker,
    // which is the workers' business; the port is free once close() has run.
    if (this.#server.listening) this.#server.close(ignore);
  }

  /**
   * Counters since creation, and the current slots.
   * @returns a fresh snapshot.
   */
  stats(): Readonly<StickyRouterStats> {
    const perSlot: Record<string, number> = {};
    const openPerSlot: Record<string, number> = {};
    let liveSlots = 0;
    for (const slot of this.#slots.values()) {
      setOwnEntry(perSlot, slot.id, slot.handed);
      setOwnEntry(openPerSlot, slot.id, slot.open);
      if (slot.worker !== undefined && isUp(slot.worker)) liveSlots++;
    }
    return {
      connections: this.#connections,
      perSlot,
      rerouted: this.#rerouted,
      overflowed: this.#overflowed,
      refused: this.#refused,
      openPerSlot,
      pending: this.#pending.size,
      dropped: this.#dropped,
      slots: this.#slots.size,
      liveSlots,
      acceptErrors: this.#acceptErrors,
      forwarded: this.#forwarded,
      proxyHeaderMissing: this.#proxyHeaderMissing,
    };
  }

  #onConnection(socket: Socket): void {
    // A reset before the hand-over must not become an unhandled 'error' in the primary.
    socket.on('error', ignore);
    if (this.#closed) {
      socket.destroy();
      return;
    }
    const fromProxy = this.#options.trusted?.(socket.remoteAddress ?? '') === true;
    if (this.#options.key.kind === 'address' && !fromProxy)
      this.#dispatch(socket, addressKey(socket.remoteAddress), undefined);
    else this.#readHead(socket, fromProxy);
  }

  #readHead(socket: Socket, fromProxy: boolean): void {
    const { maxHeadBytes, headTimeoutMs, key, proxyProtocol } = this.#options;
    const proxyHeader = fromProxy && proxyProtocol;
    this.#reading.add(socket);
    readFirstBytes(
      socket,
      {
        maxBytes: maxHeadBytes,
        timeoutMs: headTimeoutMs,
        enough: (bytes) => {
          let rest = bytes;
          if (proxyHeader) {
            const header = parseProxyHeader(bytes);
            if (header === 'more') return false;
            if (header !== undefined) rest = bytes.subarray(header.length);
            // The PROXY header names the client: no need to wait for the request.
            if (key.kind === 'address') return true;
          }
          return headEnd(rest) !== -1;
        },
      },
      (bytes, complete) => {
        this.#reading.delete(socket);
        const { client, rest } = this.#client(socket, bytes, fromProxy);
        let routingKey: string | undefined;
        const end = complete ? headEnd(rest) : -1;
        if (end !== -1 && key.kind !== 'address') {
          const head = rest.subarray(0, end).toString('latin1');
          routingKey = key.kind === 'header' ? headerValue(head, key.name) : cookieValue(head, key.name);
        }
        this.#dispatch(socket, routingKey ?? client, rest);
      },
      () => {
        if (this.#reading.delete(socket)) this.#dropped++;
      },
    );
  }

  #client(socket: Socket, bytes: Buffer, fromProxy: boolean): { client: string; rest: Buffer } {
    const found = clientOf(addressKey(socket.remoteAddress), bytes, fromProxy ? this.#options : undefined);
    if (found.forwarded) this.#forwarded++;
    if (found.missingProxyHeader) this.#proxyHeaderMissing++;
    return found;
  }

  #dispatch(socket: Socket, key: string, head: Buffer | undefined): void {
    if (socket.destroyed) {
      this.#dropped++;
      return;
    }
    const slot = this.#route(key);
    if (slot === undefined) this.#wait(socket, key, head);
    else if (slot === FULL) this.#refuse(socket);
    else this.#handOver(slot, socket, head);
  }

  #refuse(socket: Socket): void {
    this.#refused++;
    refuseConnection(socket);
  }

  /** The slot for `key`; `undefined` while no worker is up, {@link FULL} when every one is full. */
  #route(key: string): Slot | typeof FULL | undefined {
    const sharder = this.#sharder;
    if (sharder === undefined || sharder.size === 0) return undefined;
    const owner = this.#slots.get(sharder.getNode(key));
    const ownerUp = owner?.worker !== undefined && isUp(owner.worker);
    const { balanceFactor: factor, maxConnectionsPerSlot: max } = this.#options;
    if (ownerUp && factor === undefined && (owner as Slot).open < max) return owner;
    // The key's slots in ring order: the clients of a down (or full) slot spread over the others
    // rather than piling on one.
    const order: Slot[] = [];
    let up = 0;
    for (const id of sharder.getNodes(key, sharder.size)) {
      const slot = this.#slots.get(id);
      if (slot?.worker === undefined || !isUp(slot.worker)) continue;
      up++;
      if (slot.open < max) order.push(slot);
    }
    if (up > 0 && order.length === 0) return FULL;
    const picked = factor === undefined ? order[0] : pickBounded(order, order, factor);
    if (picked !== undefined && picked !== owner) {
      if (ownerUp) this.#overflowed++;
      else this.#rerouted++;
    }
    return picked;
  }

  /**
   * `n` connections handed to `worker` have closed (its `sticky:closed` report): they no longer
   * count against its slot's load bound. A report from a worker no longer in a slot is ignored.
   *
   * @param worker - the reporting worker.
   * @param n - how many closed, a positive integer.
   * @returns `false` for a bad `n` (the message is malformed), else `true`.
   */
  connectionsClosed(worker: Worker, n: unknown): boolean {
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) return false;
    for (const slot of this.#slots.values()) {
      if (slot.worker === worker) slot.open = Math.max(0, slot.open - n);
    }
    return true;
  }

  #handOver(slot: Slot, socket: Socket, head: Buffer | undefined): void {
    const worker = slot.worker as Worker;
    try {
      const track =
        this.#options.balanceFactor !== undefined || this.#options.maxConnectionsPerSlot < Infinity;
      worker.send(stickyConnectionMessage(head, track), socket, (error: Error | null) => {
        if (error === null) return;
        this.#connections--;
        slot.handed--;
        if (track) slot.open--;
        this.#dropped++;
        socket.destroy();
      });
      this.#connections++;
      slot.handed++;
      if (track) slot.open++;
    } catch {
      this.#dropped++;
      socket.destroy();
    }
  }

  #wait(socket: Socket, key: string, head: Buffer | undefined): void {
    if (this.#pending.size >= this.#options.maxPending) {
      this.#dropped++;
      socket.destroy();
      return;
    }
    const waiting: Waiting = {
      socket,
      key,
      head,
      timer: setTimeout(() => {
        if (!this.#pending.delete(waiting)) return;
        this.#dropped++;
        socket.destroy();
      }, this.#options.pendingTimeoutMs),
    };
    waiting.timer.unref();
    this.#pending.add(waiting);
  }

  #flushPending(): void {
    for (const waiting of [...this.#pending]) {
      const slot = this.#route(waiting.key);
      if (slot === undefined) return;
      this.#pending.delete(waiting);
      clearTimeout(waiting.timer);
      if (waiting.socket.destroyed) this.#dropped++;
      else if (slot === FULL) this.#refuse(waiting.socket);
      else this.#handOver(slot, waiting.socket, waiting.head);
    }
  }
}

function isUp(worker: Worker): boolean {
  return worker.isConnected() && !worker.isDead();
}
