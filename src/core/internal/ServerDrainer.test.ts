import { once } from 'node:events';
import { Agent, createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ServerDrainer } from './ServerDrainer.js';

describe('ServerDrainer', () => {
  let server: Server | undefined;
  afterEach(() => {
    server?.closeAllConnections();
    server?.close();
  });

  type Reply = { status: number; connection: string | undefined; body: string };
  const get = (port: number, agent: Agent, path = '/'): Promise<Reply> =>
    new Promise((resolve, reject) => {
      request({ host: '127.0.0.1', port, path, agent }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          body += c;
        });
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, body }),
        );
      })
        .on('error', reject)
        .end();
    });

  it('keeps idle keep-alive sockets open, answers with Connection: close, then is idle', async () => {
    let release: (() => void) | undefined;
    server = createServer((req, res) => {
      if (req.url === '/hold') release = () => res.end('held');
      else res.end('ok');
    });
    const drainer = new ServerDrainer(server);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    const agent = new Agent({ keepAlive: true, maxSockets: 2 });
    // Two sockets: one holding a request in flight, one idle after a response.
    const held = get(port, agent, '/hold');
    while (drainer.requestsInFlight < 1) await new Promise((r) => setImmediate(r));
    await get(port, agent);
    expect(drainer.connections).toBe(2);
    drainer.begin(60_000);
    expect(drainer.isDraining).toBe(true);
    expect(server.listening).toBe(false);
    // The idle socket was not destroyed: a request on it is answered, with Connection: close.
    const onIdle = await get(port, agent);
    expect(onIdle).toEqual({ status: 200, connection: 'close', body: 'ok' });
    release?.();
    expect(await held).toEqual({ status: 200, connection: 'close', body: 'held' });
    await drainer.whenIdle();
    expect(drainer.connections).toBe(0);
    expect(drainer.requestsTotal).toBe(3);
    agent.destroy();
  });

  it('expires idle sockets after the drain keep-alive timeout', async () => {
    server = createServer((_req, res) => res.end('ok'));
    const drainer = new ServerDrainer(server);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    const agent = new Agent({ keepAlive: true });
    await get(port, agent);
    expect(drainer.connections).toBe(1);
    drainer.begin(50);
    await drainer.whenIdle();
    expect(drainer.connections).toBe(0);
    agent.destroy();
  });
});
