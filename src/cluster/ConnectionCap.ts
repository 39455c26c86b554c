import type { Server, Socket } from 'node:net';
import { refuseConnection } from './refuseConnection.js';

/**
 * A worker's open connections, capped (`maxConnectionsPerWorker`): past the cap a new connection
 * is refused cleanly ({@link refuseConnection}) before the server sees it, and counted.
 *
 * It sits in the server's `emit`, not in a `'connection'` listener: a listener runs beside the
 * http server's own, which would still read and serve the refused connection. Both ways a
 * connection reaches the server go through `emit('connection')`: accepted from the port, or
 * handed over by the sticky router. @internal
 */
export class ConnectionCap {
  /** Connections open now. */
  open = 0;
  /** Connections refused since the worker started. */
  refused = 0;

  constructor(server: Server, max: number) {
    const cap = this;
    const emit = server.emit;
    const onClose = (): void => {
      this.open--;
    };
    // Every event of the server passes here, a request's included: the arguments go on as they
    // came (`arguments`, no rest array and spread per call).
    server.emit = function (this: Server, event: string | symbol, socket?: Socket): boolean {
      if (event === 'connection') {
        if (cap.open >= max) {
          cap.refused++;
          refuseConnection(socket as Socket);
          return true;
        }
        cap.open++;
        (socket as Socket).once('close', onClose);
      }
      // biome-ignore lint/complexity/noArguments: forwards every argument without copying them
      return Reflect.apply(emit, this, arguments) as boolean;
    } as Server['emit'];
  }
}
