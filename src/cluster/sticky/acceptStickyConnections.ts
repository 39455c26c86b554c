import net from 'node:net';
import { InvalidOptionError } from '../../core/errors/InvalidOptionError.js';
import { isStickyConnectionMessage, stickyClosedMessage } from './messages.js';

/**
 * The worker's side of sticky sessions: receives the connections a {@link StickyRouter} in the
 * primary hands over, and gives each to `server` as if it had accepted it (the request bytes
 * the primary read to find a header or cookie key are put back first). The server must not
 * listen: in sticky mode the primary owns the port. `ClusterSupervisor` calls this for you with
 * `sticky: true`.
 *
 * Node starts an `http.Server`'s connection bookkeeping (idle-connection closing, header and
 * request timeouts) on `'listening'`, which a server fed this way never emits; this starts it,
 * so `closeIdleConnections()` and `server.close()` work as they do on a listening server.
 *
 * @param server - a non-listening `net.Server`: an `http.Server`, e.g. the one under a `ws`
 *   WebSocket server or an Express/Fastify app.
 * @returns a handle whose `[Symbol.dispose]()` stops receiving (later connections are not
 *   accepted by this server; keep it until the worker exits).
 * @throws {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION` for something that is not a
 *   `net.Server`, or one that listens.
 *
 * @example
 * {@includeCode ./StickyRouter.test.ts#acceptStickyConnections}
 */
export function acceptStickyConnections(server: net.Server): Disposable {
  if (!(server instanceof net.Server)) {
    throw new InvalidOptionError('server', 'a net.Server, e.g. an http.Server', server);
  }
  if (server.listening) {
    throw new InvalidOptionError(
      'server',
      'a server that does not listen (the primary owns the port)',
      server,
    );
  }
  startConnectionTracking(server);
  const onMessage = (message: unknown, handle: unknown): void => {
    acceptHandedConnection(server, message, handle);
  };
  process.on('message', onMessage);
  return {
    [Symbol.dispose]: () => {
      process.off('message', onMessage);
    },
  };
}

/**
 * Gives one handed-over connection to `server`; ignores anything that is not a sticky message
 * with a socket. Shared with the in-process tests.
 * @internal
 */
export function acceptHandedConnection(
  server: net.Server,
  message: unknown,
  handle: unknown,
  closed: (n: number) => void = reportClosed,
): void {
  if (!isStickyConnectionMessage(message) || !(handle instanceof net.Socket)) return;
  if (message.track === true) handle.once('close', () => countClosed(closed));
  server.emit('connection', handle);
  // After 'connection': the server's data listener is attached, and the head, at the front of
  // the socket's buffer, flows to it before anything read from the kernel.
  if (message.head !== undefined && message.head.length > 0)
    handle.unshift(Buffer.from(message.head, 'base64'));
  handle.resume();
}

const tracked = new WeakSet<net.Server>();

function startConnectionTracking(server: net.Server): void {
  if (tracked.has(server)) return;
  tracked.add(server);
  // http.Server registers `setupConnectionsTracking` as a 'listening' listener (Node 18.2+).
  // Calling it directly starts the bookkeeping without emitting 'listening' to user code.
  for (const listener of server.listeners('listening')) {
    if (typeof listener === 'function' && listener.name === 'setupConnectionsTracking') {
      (listener as (this: net.Server) => void).call(server);
    }
  }
}

/** How often closed connections are reported: often enough for balancing, rarely enough to be free. */
const REPORT_MS = 50;
const pending = new Map<(n: number) => void, number>();
let reportTimer: NodeJS.Timeout | undefined;

/** Counts one closed tracked connection; reports are batched every REPORT_MS. */
function countClosed(closed: (n: number) => void): void {
  pending.set(closed, (pending.get(closed) ?? 0) + 1);
  reportTimer ??= setTimeout(() => {
    reportTimer = undefined;
    const batch = [...pending];
    pending.clear();
    for (const [report, n] of batch) report(n);
  }, REPORT_MS);
  reportTimer.unref();
}

/** In a worker: tells the primary's router (a closed channel loses the report: the worker is going). */
function reportClosed(n: number): void {
  if (process.connected) process.send?.(stickyClosedMessage(n), undefined, {}, () => undefined);
}
