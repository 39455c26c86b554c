import type { Socket } from 'node:net';

/** What a refused connection gets: an HTTP answer a client can act on, not a reset. */
const REFUSAL = Buffer.from(
  'HTTP/1.1 503 Service Unavailable\r\n' +
    'Connection: close\r\n' +
    'Retry-After: 1\r\n' +
    'Content-Type: text/plain; charset=utf-8\r\n' +
    'Content-Length: 27\r\n' +
    '\r\n' +
    'Server at connection limit\n',
);

/** How long a refused client gets to read the answer and hang up. */
const LINGER_MS = 2_000;

/**
 * Refuses a connection cleanly: a `503` with `Retry-After: 1` and `Connection: close`, then the
 * close. What the client sends meanwhile is read and dropped, since closing a socket with unread
 * bytes makes the kernel send a reset, which can reach the client before the answer does.
 * @internal
 */
export function refuseConnection(socket: Socket): void {
  socket.on('error', () => {});
  socket.resume();
  socket.end(REFUSAL);
  setTimeout(() => socket.destroy(), LINGER_MS).unref();
}
