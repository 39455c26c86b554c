// In-process sticky routing for tests: workers that serve handed connections with their own
// http.Server, a one-request client, and a router started on a free loopback port.
import type { Worker } from 'node:cluster';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { acceptHandedConnection } from '../../src/cluster/sticky/acceptStickyConnections.js';
import type { StickyRouter } from '../../src/cluster/sticky/StickyRouter.js';

/**
 * An in-process stand-in for a worker: its "send" gives the primary's socket to its own http
 * server as acceptStickyConnections would in a real worker, and it can be taken down.
 */
export class FakeWorker {
  up = true;
  readonly server: http.Server;
  constructor(readonly name: string) {
    this.server = http.createServer((req, res) => {
      res.setHeader('x-worker', name);
      res.setHeader('x-peer', String(req.socket.remoteAddress));
      res.end(req.url);
    });
  }
  isConnected(): boolean {
    return this.up;
  }
  isDead(): boolean {
    return !this.up;
  }
  /** The router this worker reports closed connections to (set by `start`). */
  router: StickyRouter | undefined;
  send(message: unknown, socket: unknown, callback?: (error: Error | null) => void): boolean {
    acceptHandedConnection(this.server, message, socket, (n) =>
      this.router?.connectionsClosed(this.asWorker, n),
    );
    callback?.(null);
    return true;
  }
  get asWorker(): Worker {
    return this as unknown as Worker;
  }
}

type Held = { message: unknown; socket: net.Socket; callback?: (error: Error | null) => void };

/**
 * A worker whose `send` waits, as Node queues a handle until the worker acknowledges the one
 * before: the socket stays in the primary until `release()`, which hands it over as Node does
 * (the handle leaves the primary's socket; bytes that socket already read stay behind).
 */
export class QueuedWorker extends FakeWorker {
  #held: Held | undefined;
  #onHeld: ((socket: net.Socket) => void) | undefined;
  /** Resolves with the primary's socket once the router has handed it to this worker. */
  readonly held = new Promise<net.Socket>((resolve) => {
    this.#onHeld = resolve;
  });
  override send(message: unknown, socket: unknown, callback?: (error: Error | null) => void): boolean {
    this.#held = { message, socket: socket as net.Socket, callback };
    this.#onHeld?.(socket as net.Socket);
    return true;
  }
  release(): void {
    const { message, socket, callback } = this.#held as Held;
    const primary = socket as unknown as { _handle: { onread: unknown } | null };
    const handle = primary._handle as { onread: unknown };
    primary._handle = null;
    handle.onread = () => {};
    const moved = new net.Socket({ handle } as net.SocketConstructorOpts);
    acceptHandedConnection(this.server, message, moved);
    callback?.(null);
  }
}

export type Reply = { worker: string; body: string };

/** One request on a fresh connection (no keep-alive), from `localAddress`. */
export function get(
  port: number,
  options: { localAddress?: string; headers?: Record<string, string>; path?: string } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    http
      .get(
        {
          host: '127.0.0.1',
          port,
          agent: false,
          localAddress: options.localAddress,
          headers: options.headers,
          path: options.path ?? '/',
        },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            body += chunk;
          });
          res.on('end', () => resolve({ worker: String(res.headers['x-worker']), body }));
        },
      )
      .on('error', reject);
  });
}

/** Routers started by the tests; `afterEach(closeRouters)` closes them. */
export const routers: StickyRouter[] = [];

export async function closeRouters(): Promise<void> {
  await Promise.all(routers.splice(0).map((router) => router.close()));
}

export async function start(router: StickyRouter, workers: FakeWorker[]): Promise<number> {
  routers.push(router);
  workers.forEach((worker, i) => {
    worker.router = router;
    router.setWorker(`w${i}`, worker.asWorker);
  });
  await router.listen(0, '127.0.0.1');
  return (router.address as AddressInfo).port;
}

/** One request written raw after `prefix` (a PROXY header) on a fresh connection; the worker's reply. */
export function rawGet(port: number, prefix: Buffer | string, localAddress?: string): Promise<Reply> {
  const socket = net.connect({ host: '127.0.0.1', port, localAddress });
  const reply = readReply(socket);
  socket.write(prefix);
  socket.end('GET /raw HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  return reply;
}

/**
 * Sends a request head in two writes 30 ms apart (as a slow client or proxy may) and resolves
 * with the reply once the router's worker closes the connection.
 */
export function splitGet(port: number, first: string, second: string): Promise<Reply> {
  const socket = net.connect({ host: '127.0.0.1', port });
  const reply = readReply(socket);
  socket.write(first);
  setTimeout(() => socket.end(second), 30);
  return reply;
}

/** The whole reply read from `socket` until it ends: FakeWorker's `x-worker` and the body. */
function readReply(socket: net.Socket): Promise<Reply> {
  return new Promise((resolve, reject) => {
    let text = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      text += chunk;
    });
    socket.on('end', () => {
      const worker = /x-worker: (\S+)/i.exec(text)?.[1] ?? 'none';
      resolve({ worker, body: text.split('\r\n\r\n')[1] ?? '' });
    });
    socket.on('error', reject);
  });
}

/**
 * Opens a keep-alive connection, sends one `GET path`, and resolves once the reply is in, with the
 * reply's worker (`x-worker`, FakeWorker's) and body, and the socket still open.
 */
export function openKeepAlive(
  port: number,
  path = '/',
): Promise<{ worker: string | undefined; body: string; socket: net.Socket }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let text = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      text += chunk;
      const end = text.indexOf('\r\n\r\n');
      const length = Number(/content-length: (\d+)/i.exec(text)?.[1] ?? Number.NaN);
      if (end === -1 || text.length < end + 4 + length) return;
      const body = text.slice(end + 4, end + 4 + length);
      resolve({ worker: /x-worker: (\S+)/i.exec(text)?.[1], body, socket });
    });
    socket.on('error', reject);
    socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`);
  });
}
