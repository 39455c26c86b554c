/**
 * A fault-injecting TCP proxy for the chaos tests (#21). It listens on a free loopback port and
 * forwards every connection to `target`, and on `setMode` it forwards, black-holes, delays, resets or
 * refuses the traffic, so a test can put a Redis client through a broken network without touching
 * Redis. No vitest dependency, so benchmarks can use it too.
 *
 * Modes (see {@link FaultMode}):
 * - `'pass'`: bytes, FIN and RST go through both ways, in order.
 * - `'blackhole'`: a route that loses everything. Sockets stay open, new connections are accepted,
 *   and nothing goes through either way: no bytes, no FIN, no RST. Whatever arrives is dropped, not
 *   held, so a connection that lost anything is broken at the protocol level (a request without its
 *   reply); on leaving `'blackhole'` the proxy resets (RST) exactly those connections, so the client
 *   sees ECONNRESET and reconnects. A connection that stayed idle throughout keeps working.
 * - `{ kind: 'delay', delayMs }`: each chunk, FIN and RST is forwarded at least `delayMs` after it
 *   arrived, in order, both ways (a round trip costs `2 * delayMs`). Connecting is not delayed.
 * - `'reset'`: every open connection is reset (RST to the client and to the target), and each new one
 *   is reset as soon as it is accepted: the kernel has already completed the client's connect, so its
 *   socket then fails with ECONNRESET (not ECONNREFUSED; for that, see `'refuse'`).
 * - `'refuse'`: the port is closed, as if the server had exited: new connects fail with ECONNREFUSED
 *   and open connections are closed (FIN, or RST where the kernel still held unread bytes). Leaving
 *   `'refuse'` listens on the same port again; `setMode` resolves once it does.
 *
 * The mode applies to a chunk when it reaches the proxy: chunks already waiting out a delay are
 * delivered on time even if the mode changes to `'pass'` or `'blackhole'` meanwhile.
 *
 * Memory stays bounded: each direction holds at most about {@link HIGH_WATER_MARK_BYTES} in flight
 * (waiting out a delay, or for a slow reader) before it stops reading from its source, so TCP flow
 * control pushes back on the sender. `'blackhole'` holds nothing.
 *
 * What the proxy cannot fake: the kernel on the proxy's side still acknowledges what it receives, so
 * in `'blackhole'` a client's writes never back up and TCP keepalive probes are answered. Only an
 * application-level timeout (a command timeout, a health check) notices the black hole, which is what
 * these tests are for.
 */
import { once } from 'node:events';
import { createConnection, createServer, type Server, type Socket } from 'node:net';

/** Forward, lose, delay, reset or refuse; the module comment above describes each. */
export type FaultMode = 'pass' | 'blackhole' | 'reset' | 'refuse' | DelayMode;

/** Every chunk waits `delayMs` in each direction. */
export type DelayMode = {
  readonly kind: 'delay';
  /** Milliseconds each chunk is held, per direction. Minimum: 0. */
  readonly delayMs: number;
};

export type FaultProxyOptions = {
  /** Where connections go, e.g. a `RedisServerHandle`. */
  readonly target: { readonly host: string; readonly port: number };
  /** The mode to start in. @default 'pass' */
  readonly mode?: FaultMode;
};

/** A running proxy; see {@link startFaultProxy}. */
export type FaultProxyHandle = {
  /** Always `127.0.0.1`. */
  readonly host: string;
  /** The port it listens on (kept through `'refuse'`). */
  readonly port: number;
  /** `redis://127.0.0.1:<port>`, ready for `new Redis(url)`. */
  readonly url: string;
  /** The current mode. */
  readonly mode: FaultMode;
  /** Proxied connections still open on either side (client or target). */
  readonly connections: number;
  /** Bytes `'blackhole'` has dropped so far, both ways: proof that a fault actually hit something. */
  readonly droppedBytes: number;
  /** Bytes held right now, both ways, waiting out a delay or for a slow reader. */
  readonly pendingBytes: number;
  /**
   * Switches mode. Takes effect at once (before any further I/O), except that leaving `'refuse'` must
   * listen again: the promise resolves once the new mode is fully in effect. Calls apply in order.
   * @throws (rejects) on an invalid mode, after `close()`, or when the port was taken while refusing.
   */
  setMode(mode: FaultMode): Promise<void>;
  /** Destroys every connection and stops listening; resolves once the listener has closed. Idempotent. */
  close(): Promise<void>;
};

const HOST = '127.0.0.1';

/** Bytes one direction may hold before it pauses its source. */
export const HIGH_WATER_MARK_BYTES = 64 * 1024;

/**
 * Starts a proxy to `options.target` on a free loopback port.
 *
 * @returns the proxy, listening (unless started in `'refuse'`).
 * @throws (rejects) on an invalid target or mode.
 */
export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxyHandle> {
  const host = options.target?.host;
  const port = options.target?.port;
  if (typeof host !== 'string' || host === '') {
    throw new TypeError(`Expected \`options.target.host\` to be a non-empty string, got \`${host}\``);
  }
  if (!Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new RangeError(`Expected \`options.target.port\` to be an integer in 1..65535, got \`${port}\``);
  }
  const mode = options.mode ?? 'pass';
  checkMode(mode);
  const proxy = new FaultProxy({ host, port });
  await proxy.start(mode);
  return proxy;
}

function checkMode(mode: FaultMode): void {
  if (mode === 'pass' || mode === 'blackhole' || mode === 'reset' || mode === 'refuse') return;
  if (typeof mode === 'object' && mode !== null && mode.kind === 'delay') {
    if (Number.isFinite(mode.delayMs) && mode.delayMs >= 0) return;
    throw new RangeError(`Expected \`mode.delayMs\` to be a finite number >= 0, got \`${mode.delayMs}\``);
  }
  throw new TypeError(`Expected a fault mode, got \`${JSON.stringify(mode)}\``);
}

class FaultProxy implements FaultProxyHandle {
  readonly host = HOST;
  port = 0;
  #mode: FaultMode = 'pass';
  readonly #target: { readonly host: string; readonly port: number };
  readonly #links = new Set<Link>();
  readonly #counters = { droppedBytes: 0 };
  /** The current listener; `undefined` while refusing or closed. */
  #server: Server | undefined;
  /** Every listener that has not emitted `'close'` yet (one closed by `'refuse'` waits for its sockets). */
  readonly #servers = new Set<Server>();
  /** A listen in flight (leaving `'refuse'`); later `setMode` calls wait for it. */
  #listening: Promise<void> | undefined;
  #closed = false;
  #closing: Promise<void> | undefined;

  constructor(target: { readonly host: string; readonly port: number }) {
    this.#target = target;
  }

  get url(): string {
    return `redis://${HOST}:${this.port}`;
  }

  get mode(): FaultMode {
    return this.#mode;
  }

  get connections(): number {
    return this.#links.size;
  }

  get droppedBytes(): number {
    return this.#counters.droppedBytes;
  }

  get pendingBytes(): number {
    let bytes = 0;
    for (const link of this.#links) bytes += link.pendingBytes;
    return bytes;
  }

  /** Listens on a free port (even when starting in `'refuse'`, to own a port), then applies `mode`. */
  async start(mode: FaultMode): Promise<void> {
    await this.#listen(0);
    await this.setMode(mode);
  }

  setMode(mode: FaultMode): Promise<void> {
    try {
      checkMode(mode);
      if (this.#closed) throw new Error('the fault proxy is closed');
    } catch (error) {
      return Promise.reject(error);
    }
    if (this.#listening !== undefined) {
      return this.#listening.catch(() => undefined).then(() => this.setMode(mode));
    }
    return this.#apply(mode) ?? Promise.resolve();
  }

  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  /** Switches synchronously; returns a promise only when it had to start listening again. */
  #apply(next: FaultMode): Promise<void> | undefined {
    const previous = this.#mode;
    this.#mode = next;
    if (previous === 'blackhole' && next !== 'blackhole') {
      for (const link of this.#links) if (link.lost) link.reset();
    }
    if (next === 'reset') {
      for (const link of this.#links) link.reset();
    } else if (next === 'refuse') {
      this.#server?.close();
      this.#server = undefined;
      for (const link of this.#links) link.destroy();
    } else if (this.#server === undefined) {
      const listening = this.#listen(this.port).finally(() => {
        this.#listening = undefined;
      });
      this.#listening = listening;
      return listening;
    }
    return undefined;
  }

  async #listen(port: number): Promise<void> {
    const server = createServer({ allowHalfOpen: true }, (socket) => this.#accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, HOST, () => {
        server.removeListener('error', reject);
        resolve();
      });
    });
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('could not read the proxy port');
    this.port = address.port;
    this.#server = server;
    this.#servers.add(server);
    server.once('close', () => this.#servers.delete(server));
  }

  #accept(client: Socket): void {
    client.on('error', () => undefined);
    if (this.#closed || this.#mode === 'refuse') {
      // Accepted just before the listener closed.
      client.destroy();
      return;
    }
    if (this.#mode === 'reset') {
      client.resetAndDestroy();
      return;
    }
    const upstream = createConnection({
      host: this.#target.host,
      port: this.#target.port,
      allowHalfOpen: true,
    });
    const link = new Link(client, upstream, {
      mode: () => this.#mode,
      counters: this.#counters,
      onClosed: () => this.#links.delete(link),
    });
    this.#links.add(link);
  }

  async #shutdown(): Promise<void> {
    this.#closed = true;
    await this.#listening?.catch(() => undefined);
    const links = [...this.#links];
    for (const link of links) link.destroy();
    this.#server?.close();
    this.#server = undefined;
    // A listener emits 'close' once it and every socket it accepted have closed; the links cover the
    // sockets to the target.
    const servers = [...this.#servers].map((server) => once(server, 'close'));
    await Promise.all([...servers, ...links.map((link) => link.closed)]);
  }
}

/** What travels one way through a link, in order. */
type Item = Buffer | 'end' | 'reset';

/** One client connection and its connection to the target. */
class Link {
  /** True once anything was dropped by `'blackhole'`: the protocol on this link is then out of step. */
  lost = false;
  /** Settles once both sockets have closed. */
  readonly closed: Promise<void>;
  readonly #client: Socket;
  readonly #upstream: Socket;
  readonly #toUpstream: Direction;
  readonly #toClient: Direction;

  constructor(
    client: Socket,
    upstream: Socket,
    { mode, counters, onClosed }: { mode(): FaultMode; counters: { droppedBytes: number }; onClosed(): void },
  ) {
    this.#client = client;
    this.#upstream = upstream;
    // Redis traffic is small request/reply writes: Nagle's algorithm would add latency of its own.
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    this.#toUpstream = new Direction(client, upstream);
    this.#toClient = new Direction(upstream, client);
    const arrive = (direction: Direction, item: Item): void => {
      const current = mode();
      if (current === 'blackhole') {
        this.lost = true;
        if (typeof item !== 'string') counters.droppedBytes += item.length;
      } else {
        direction.push(item, typeof current === 'object' ? current.delayMs : 0);
      }
    };
    let closed = (): void => undefined;
    this.closed = new Promise<void>((resolve) => {
      closed = resolve;
    });
    let open = 2;
    const wire = (source: Socket, direction: Direction): void => {
      source.on('data', (chunk: Buffer) => arrive(direction, chunk));
      source.on('end', () => arrive(direction, 'end'));
      // The peer reset it, or (for the target) the connect failed: pass the failure on as an RST.
      source.on('error', () => arrive(direction, 'reset'));
      source.on('close', () => {
        if (--open > 0) return;
        this.#toUpstream.clear();
        this.#toClient.clear();
        onClosed();
        closed();
      });
    };
    wire(client, this.#toUpstream);
    wire(upstream, this.#toClient);
  }

  get pendingBytes(): number {
    return this.#toUpstream.queuedBytes + this.#toClient.queuedBytes;
  }

  /** RST both ways, dropping whatever was in flight. */
  reset(): void {
    this.#toUpstream.clear();
    this.#toClient.clear();
    resetSocket(this.#client);
    resetSocket(this.#upstream);
  }

  /** Closes both sockets (FIN, unless unread bytes make the kernel send RST), dropping what was in flight. */
  destroy(): void {
    this.#toUpstream.clear();
    this.#toClient.clear();
    this.#client.destroy();
    this.#upstream.destroy();
  }
}

function resetSocket(socket: Socket): void {
  if (socket.destroyed) return;
  // resetAndDestroy() on a socket still connecting waits for the connect, which may never come.
  if (socket.connecting) socket.destroy();
  else socket.resetAndDestroy();
}

/**
 * One way through a link: a FIFO of items, each released at its due time, that stops reading from its
 * source above the high-water mark and waits for `'drain'` when the destination pushes back.
 */
class Direction {
  readonly #source: Socket;
  readonly #dest: Socket;
  readonly #queue: { readonly item: Item; readonly dueAt: number }[] = [];
  #queuedBytes = 0;
  #timer: NodeJS.Timeout | undefined;
  #waitingForDrain = false;
  #pausedSource = false;
  #cleared = false;

  constructor(source: Socket, dest: Socket) {
    this.#source = source;
    this.#dest = dest;
  }

  get queuedBytes(): number {
    return this.#queuedBytes;
  }

  push(item: Item, delayMs: number): void {
    if (this.#cleared) return;
    // Only the head is ever released, so a later item with an earlier due time (the delay shrank, or
    // the mode went back to 'pass') waits behind it: order is kept.
    this.#queue.push({ item, dueAt: performance.now() + delayMs });
    if (typeof item !== 'string') {
      this.#queuedBytes += item.length;
      if (this.#queuedBytes >= HIGH_WATER_MARK_BYTES && !this.#pausedSource) {
        this.#pausedSource = true;
        this.#source.pause();
      }
    }
    this.#flush();
  }

  /** Drops everything in flight and stops the timer (the link is going away). */
  clear(): void {
    this.#cleared = true;
    this.#queue.length = 0;
    this.#queuedBytes = 0;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #flush = (): void => {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    while (!this.#waitingForDrain && this.#queue.length > 0) {
      const head = this.#queue[0] as { readonly item: Item; readonly dueAt: number };
      const now = performance.now();
      if (head.dueAt > now) {
        // Timers may fire a little early (the loop's clock is cached), hence the re-check above.
        this.#timer = setTimeout(this.#flush, Math.ceil(head.dueAt - now));
        break;
      }
      this.#queue.shift();
      this.#deliver(head.item);
    }
    if (this.#pausedSource && this.#queuedBytes < HIGH_WATER_MARK_BYTES) {
      this.#pausedSource = false;
      this.#source.resume();
    }
  };

  #deliver(item: Item): void {
    const dest = this.#dest;
    if (item === 'reset') {
      resetSocket(dest);
    } else if (item === 'end') {
      if (!dest.destroyed) dest.end();
    } else {
      this.#queuedBytes -= item.length;
      if (dest.destroyed) return;
      if (!dest.write(item)) {
        this.#waitingForDrain = true;
        dest.once('drain', () => {
          this.#waitingForDrain = false;
          if (!this.#cleared) this.#flush();
        });
      }
    }
  }
}
