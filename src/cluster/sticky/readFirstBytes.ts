import type { Socket } from 'node:net';

/** Bounds on reading the start of a connection in the primary. @internal */
export type FirstBytesLimits = {
  /** Stop once this many bytes are read. */
  readonly maxBytes: number;
  /** Stop once the connection has been silent this long. */
  readonly timeoutMs: number;
  /** Whether the bytes read so far are enough. */
  readonly enough: (bytes: Buffer) => boolean;
};

/**
 * Reads the start of `socket` (a request head, a PROXY header) until `enough`, `maxBytes` or the
 * timeout, then stops reading and calls `done` with every byte read (so they can be handed on)
 * and whether `enough` was reached; `gone` instead when the client leaves first (or the router
 * destroys the socket while it reads).
 * @internal
 */
export function readFirstBytes(
  socket: Socket,
  limits: FirstBytesLimits,
  done: (bytes: Buffer, enough: boolean) => void,
  gone: () => void,
): void {
  const chunks: Buffer[] = [];
  let size = 0;
  const finish = (enough: boolean): void => {
    socket.off('data', onData);
    socket.off('end', onGone);
    socket.off('close', onGone);
    socket.off('timeout', onTimeout);
    socket.setTimeout(0);
    stopReading(socket);
    if (socket.readableLength > 0) {
      const rest: unknown = socket.read(socket.readableLength);
      if (Buffer.isBuffer(rest)) chunks.push(rest);
    }
    done(Buffer.concat(chunks), enough);
  };
  const onData = (chunk: Buffer): void => {
    chunks.push(chunk);
    size += chunk.length;
    const enough = limits.enough(chunks.length === 1 ? chunk : Buffer.concat(chunks));
    if (enough || size >= limits.maxBytes) finish(enough);
  };
  const onTimeout = (): void => finish(false);
  const onGone = (): void => {
    socket.off('data', onData);
    socket.off('timeout', onTimeout);
    socket.destroy();
    gone();
  };
  socket.on('data', onData);
  socket.once('end', onGone);
  socket.once('close', onGone);
  socket.setTimeout(limits.timeoutMs, onTimeout);
  // pauseOnConnect leaves the socket explicitly paused: a 'data' listener does not resume it.
  socket.resume();
}

/**
 * Stops the primary reading from `socket`, for good. After the handle is sent, the primary closes
 * it only when the worker acknowledges; bytes it read meanwhile would be lost to the worker.
 * `pause()` alone does not stop a net.Socket's handle from reading ahead, and `readStop()` alone
 * lasts one tick: the stream refills its buffer (`read(0)` after every chunk, `read(n)`), and
 * `_read` starts the handle again. While a handle waits in Node's queue for the worker's ACK of
 * the one before, the handle then reads on, and the worker never sees the client's next bytes
 * (a WebSocket client's first frame, sent on the 101). So `_read` does nothing from here on.
 * @internal
 */
export function stopReading(socket: Socket): void {
  socket.pause();
  socket._read = () => {};
  const handle = (socket as unknown as { _handle?: { reading?: boolean; readStop?: () => unknown } | null })
    ._handle;
  if (typeof handle?.readStop === 'function') {
    handle.readStop();
    // net.Socket restarts reading on resume() only when this flag says it is not reading.
    handle.reading = false;
  }
}
