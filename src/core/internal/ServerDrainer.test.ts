import { once } from 'node:events';
import { Agent, createServer, request, type Server } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
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

  const listening = async (handler: Parameters<typeof createServer>[1]) => {
    server = createServer(handler);
    const drainer = new ServerDrainer(server);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return { drainer, port: (server.address() as AddressInfo).port, server };
  };

  it('does not cut a request that arrives on an idle socket during the drain and outlasts the short timeout', async () => {
    const { drainer, port } = await listening((req, res) => {
      if (req.url === '/slow') setTimeout(() => res.end('slow'), 300);
      else res.end('ok');
    });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    await get(port, agent);
    drainer.begin(100); // the idle socket would expire in 100 ms
    expect(await get(port, agent, '/slow')).toEqual({ status: 200, connection: 'close', body: 'slow' });
    await drainer.whenIdle();
    agent.destroy();
  });

  it('does not expire a socket whose request is in flight when the drain begins', async () => {
    const { drainer, port } = await listening((_req, res) => {
      setTimeout(() => res.end('late'), 300);
    });
    const agent = new Agent({ keepAlive: true });
    const late = get(port, agent);
    while (drainer.requestsInFlight < 1) await new Promise((r) => setImmediate(r));
    drainer.begin(50);
    expect(await late).toEqual({ status: 200, connection: 'close', body: 'late' });
    await drainer.whenIdle();
    agent.destroy();
  });

  it("sets the server's keep-alive timeout, keeps its closeIdleConnections, and stops listening", async () => {
    const { drainer, server: s } = await listening((_req, res) => res.end());
    const closeIdle = s.closeIdleConnections;
    drainer.begin(123);
    expect(s.keepAliveTimeout).toBe(123);
    expect(s.closeIdleConnections).toBe(closeIdle);
    expect(s.listening).toBe(false);
    drainer.begin(5_000); // a second begin changes nothing
    expect(s.keepAliveTimeout).toBe(123);
    await drainer.whenIdle();
  });

  it('gives a connection handed over during the drain (sticky mode) the short timeout', async () => {
    const { drainer, port } = await listening((_req, res) => res.end('ok'));
    const other = createServer();
    other.listen(0, '127.0.0.1');
    await once(other, 'listening');
    const handedOver = new Promise<import('node:net').Socket>((resolve) => other.once('connection', resolve));
    const client = connect((other.address() as AddressInfo).port, '127.0.0.1');
    const socket = await handedOver;
    other.close();
    drainer.begin(50);
    server?.emit('connection', socket); // as the sticky router hands a connection to a worker
    expect(drainer.connections).toBe(1);
    await drainer.whenIdle(); // expires on its own: nothing else would close it
    client.destroy();
    expect(port).toBeGreaterThan(0);
  });

  it('destroys every connection on destroyAll, and is then idle', async () => {
    const { drainer, port } = await listening(() => undefined); // never answers
    const agent = new Agent({ keepAlive: true });
    const hung = get(port, agent).catch((error: Error) => error);
    while (drainer.requestsInFlight < 1) await new Promise((r) => setImmediate(r));
    drainer.begin(60_000);
    drainer.destroyAll();
    await drainer.whenIdle();
    expect(await hung).toBeInstanceOf(Error);
    expect(drainer.requestsInFlight).toBe(0);
    agent.destroy();
  });

  /** A client connection that sends nothing; resolves once the server has taken it. */
  const silentClient = async (port: number, drainer: ServerDrainer) => {
    const before = drainer.connections;
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => {});
    while (drainer.connections === before) await new Promise((r) => setImmediate(r));
    return socket;
  };
  /** Whether `promise` settles within `ms`. */
  const settlesWithin = (promise: Promise<unknown>, ms: number) =>
    Promise.race([promise.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);

  it('leaves a quiet connection alone until the drain begins, then expires it', async () => {
    const { drainer, port } = await listening((_req, res) => res.end('ok'));
    const socket = await silentClient(port, drainer);
    await new Promise((r) => setTimeout(r, 1_200)); // past the drain's default keep-alive
    expect([drainer.connections, socket.destroyed]).toEqual([1, false]);
    drainer.begin(50);
    expect(await settlesWithin(drainer.whenIdle(), 2_000)).toBe(true);
  });

  it('waits for the last connection, not the first to close', async () => {
    const { drainer, port } = await listening((_req, res) => res.end('ok'));
    const first = await silentClient(port, drainer);
    const second = await silentClient(port, drainer);
    drainer.begin(60_000);
    const idle = drainer.whenIdle();
    first.destroy();
    while (drainer.connections > 1) await new Promise((r) => setImmediate(r));
    expect(await settlesWithin(idle, 50)).toBe(false);
    second.destroy();
    await idle;
  });

  it('begins while a response is streaming, whose headers are already sent', async () => {
    let finish: (() => void) | undefined;
    const { drainer, port } = await listening((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('part 1, ');
      finish = () => res.end('part 2');
    });
    const agent = new Agent({ keepAlive: true });
    const streaming = get(port, agent);
    while (finish === undefined) await new Promise((r) => setImmediate(r));
    expect(() => drainer.begin(50)).not.toThrow();
    finish();
    expect((await streaming).body).toBe('part 1, part 2');
    await drainer.whenIdle();
    agent.destroy();
  });

  it('drains a server that never listened (sticky mode) without throwing', async () => {
    server = createServer();
    const drainer = new ServerDrainer(server);
    expect(() => drainer.begin(50)).not.toThrow();
    await drainer.whenIdle();
  });
});
