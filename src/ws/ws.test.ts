// WebSocketGate on a real http.Server and `ws` over 127.0.0.1: admission, the limit, shedding,
// the closing handshake, a client that never answers it, a throwing handler, bad options.
import { createServer, type Server } from 'node:http';
import { connect as connectTcp, type Socket } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { expectInvalidOption } from '../../test/helpers/expectInvalidOption.js';
import { scripted } from '../../test/helpers/scriptedMonitor.js';
import { until } from '../../test/helpers/until.js';
import { WebSocketGate } from './index.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  vi.restoreAllMocks();
});

async function listening(): Promise<{ server: Server; url: string; port: number }> {
  const server = createServer((_req, res) => res.end('http'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => {
    server.closeAllConnections();
    return new Promise((resolve) => server.close(resolve));
  });
  const { port } = server.address() as { port: number };
  return { server, url: `ws://127.0.0.1:${port}`, port };
}

/** A client that opens, and resolves with it once open, or with the refusal's status and Retry-After. */
function open(url: string): Promise<WebSocket | { status: number; retryAfter: string | undefined }> {
  return new Promise((resolve, reject) => {
    const client = new WebSocket(url);
    cleanups.push(() => client.terminate());
    client.once('open', () => resolve(client));
    client.once('unexpected-response', (_req, res) => {
      resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'] });
      res.resume();
    });
    client.once('error', reject);
  });
}

const closeOf = (client: WebSocket): Promise<{ code: number; reason: string }> =>
  new Promise((resolve) => client.once('close', (code, reason) => resolve({ code, reason: String(reason) })));

/** A raw TCP client that completes the handshake, then never answers a frame. */
async function silentClient(port: number): Promise<Socket> {
  const socket = connectTcp(port, '127.0.0.1');
  cleanups.push(() => socket.destroy());
  socket.write(
    'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
  );
  await new Promise<void>((resolve) => socket.once('data', () => resolve()));
  socket.on('data', () => undefined); // reads the close frame, never answers it
  return socket;
}

describe('WebSocketGate', () => {
  it('hands admitted sockets to onConnection and counts them until their connection closes', async () => {
    const { server, url } = await listening();
    // #region gate
    const wss = new WebSocketServer({ noServer: true, maxPayload: 4_096 });
    const gate = new WebSocketGate({
      server, // your http.Server
      wss,
      maxConnections: 1_000, // past it: 503 + Retry-After, before any handshake
      onConnection: (socket) => socket.on('message', (data) => socket.send(`echo ${data}`)),
    });
    // On shutdown: `await gate.close()` sends each socket 1001 "going away".
    // #endregion gate
    cleanups.push(() => gate.destroy());
    const client = (await open(url)) as WebSocket;
    const echoed = new Promise((resolve) => client.once('message', (data) => resolve(String(data))));
    client.send('hi');
    expect(await echoed).toBe('echo hi');
    expect(gate.stats()).toMatchObject({ connections: 1, acceptedTotal: 1, closing: false });
    client.close();
    await until(() => gate.stats().connections === 0, 5_000);
  });

  it('refuses past maxConnections with 503 and Retry-After before the handshake, and admits again once one leaves', async () => {
    const { server, url } = await listening();
    const onConnection = vi.fn();
    const gate = new WebSocketGate({
      server,
      wss: new WebSocketServer({ noServer: true }),
      onConnection,
      maxConnections: 2,
      retryAfterSeconds: 9,
    });
    cleanups.push(() => gate.destroy());
    const [a, b] = [(await open(url)) as WebSocket, (await open(url)) as WebSocket];
    expect(await open(url)).toEqual({ status: 503, retryAfter: '9' });
    expect(onConnection).toHaveBeenCalledTimes(2);
    expect(gate.stats()).toMatchObject({ connections: 2, acceptedTotal: 2, rejectedFullTotal: 1 });
    a.close();
    await until(() => gate.stats().connections === 1, 5_000);
    expect(await open(url)).toBeInstanceOf(WebSocket);
    b.close();
  });

  it("refuses while the monitor sheds, with the decision's Retry-After, and answers 500 when its allow throws", async () => {
    const { server, url } = await listening();
    const { monitor, sampler } = scripted();
    const gate = new WebSocketGate({
      server,
      wss: new WebSocketServer({ noServer: true }),
      onConnection: () => undefined,
      shed: monitor.shedDecision({ retryAfterSeconds: 3 }),
    });
    cleanups.push(() => gate.destroy());
    expect(await open(url)).toBeInstanceOf(WebSocket);
    sampler.delay(400);
    await monitor.refresh();
    expect(monitor.status).toBe('critical');
    expect(await open(url)).toEqual({ status: 503, retryAfter: '3' });
    expect(gate.stats()).toMatchObject({ rejectedShedTotal: 1, acceptedTotal: 1 });
    expect(monitor.snapshot().shedRequests).toBe(1);

    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    const allow = () => {
      throw new Error('allow bug');
    };
    const other = await listening();
    const strict = new WebSocketGate({
      server: other.server,
      wss: new WebSocketServer({ noServer: true }),
      onConnection: () => undefined,
      shed: monitor.shedDecision({ allow }),
    });
    cleanups.push(() => strict.destroy());
    expect(await open(other.url)).toEqual({ status: 500, retryAfter: undefined });
    expect(warn).toHaveBeenCalledWith(
      expect.stringMatching(/^A WebSocketGate shedding decision threw: Error: allow bug/),
      expect.objectContaining({ code: 'LOADSTONE_WARN_WS_HANDLER_THREW' }),
    );
    expect(strict.stats().acceptedTotal).toBe(0);
  });

  it('closes every socket with 1001, refuses new upgrades, and destroys one that never answers after closeTimeoutMs', async () => {
    const { server, url, port } = await listening();
    const gate = new WebSocketGate({
      server,
      wss: new WebSocketServer({ noServer: true }),
      onConnection: () => undefined,
      closeTimeoutMs: 300,
    });
    const polite = (await open(url)) as WebSocket;
    const silent = await silentClient(port);
    const politeClosed = closeOf(polite);
    const silentGone = new Promise((resolve) => silent.once('close', resolve));
    await until(() => gate.stats().connections === 2, 5_000);
    const closed = gate.close();
    expect(gate.closed).toBe(true);
    expect(await politeClosed).toEqual({ code: 1001, reason: 'going away' });
    expect(await open(url)).toEqual({ status: 503, retryAfter: '5' });
    await closed;
    await silentGone;
    expect(gate.stats()).toMatchObject({
      connections: 0,
      terminatedTotal: 1,
      rejectedClosingTotal: 1,
      closing: true,
    });
    await gate.close(); // idempotent: settles at once
    expect(gate.stats().terminatedTotal).toBe(1);
  });

  it('closes a socket whose handshake finished after the close began, without handing it over', async () => {
    const { server, url } = await listening();
    const wss = new WebSocketServer({ noServer: true });
    let handshakeDone: (() => void) | undefined;
    const slow = {
      handleUpgrade: (...[req, socket, head, callback]: Parameters<WebSocketServer['handleUpgrade']>) =>
        wss.handleUpgrade(req, socket, head, (ws, request) => {
          handshakeDone = () => callback(ws, request);
        }),
    };
    const onConnection = vi.fn();
    const gate = new WebSocketGate({ server, wss: slow, onConnection });
    const client = new WebSocket(url);
    cleanups.push(() => client.terminate());
    const closed = closeOf(client);
    await until(() => handshakeDone !== undefined, 5_000);
    const closing = gate.close();
    handshakeDone?.();
    expect(await closed).toEqual({ code: 1001, reason: 'going away' });
    await closing;
    expect(onConnection).not.toHaveBeenCalled();
  });

  it('counts a connection destroyed once however often destroy() is called, and close({ signal }) destroys', async () => {
    const { server, port } = await listening();
    const gate = new WebSocketGate({
      server,
      wss: new WebSocketServer({ noServer: true }),
      onConnection: () => undefined,
    });
    await silentClient(port);
    await until(() => gate.stats().connections === 1, 5_000);
    const aborted = gate.close({ signal: AbortSignal.abort(new Error('shutdown budget spent')) });
    await expect(aborted).rejects.toThrow('shutdown budget spent');
    await Promise.all([gate.destroy(), gate.destroy()]);
    expect(gate.stats()).toMatchObject({ connections: 0, terminatedTotal: 1 });
  });

  it('is closed from the start when its signal has already aborted', async () => {
    const { server, url } = await listening();
    const gate = new WebSocketGate({
      server,
      wss: new WebSocketServer({ noServer: true }),
      onConnection: () => undefined,
      signal: AbortSignal.abort(),
    });
    expect(gate.closed).toBe(true);
    expect(await open(url)).toEqual({ status: 503, retryAfter: '5' });
  });

  it('begins closing when its signal aborts (a worker draining)', async () => {
    const { server, url } = await listening();
    const controller = new AbortController();
    const gate = new WebSocketGate({
      server,
      wss: new WebSocketServer({ noServer: true }),
      onConnection: () => undefined,
      signal: controller.signal,
    });
    const client = (await open(url)) as WebSocket;
    const closed = closeOf(client);
    controller.abort();
    expect((await closed).code).toBe(1001);
    await gate.close();
  });

  it('closes a socket whose handler threw with 1011 and warns, and counts socket errors without crashing', async () => {
    const { server, url } = await listening();
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    let first = true;
    const gate = new WebSocketGate({
      server,
      wss: new WebSocketServer({ noServer: true, maxPayload: 16 }),
      onConnection: () => {
        if (first) {
          first = false;
          throw new Error('handler bug');
        }
      },
    });
    cleanups.push(() => gate.destroy());
    const broken = (await open(url)) as WebSocket;
    expect(await closeOf(broken)).toEqual({ code: 1011, reason: 'internal error' });
    expect(warn).toHaveBeenCalledWith(
      expect.stringMatching(/^A WebSocketGate onConnection threw: Error: handler bug/),
      expect.objectContaining({ code: 'LOADSTONE_WARN_WS_HANDLER_THREW' }),
    );
    const flooding = (await open(url)) as WebSocket;
    const closed = closeOf(flooding);
    flooding.send('x'.repeat(64)); // over maxPayload: ws emits `error` on the server's socket
    expect((await closed).code).toBe(1009);
    await until(() => gate.stats().socketErrorsTotal === 1, 5_000);
  });

  it('refuses bad options with coded errors at construction', async () => {
    const { server } = await listening();
    const wss = new WebSocketServer({ noServer: true });
    const onConnection = () => undefined;
    const make = (options: object) => () =>
      new WebSocketGate({ server, wss, onConnection, ...options } as ConstructorParameters<
        typeof WebSocketGate
      >[0]);
    expectInvalidOption(make({ maxConnections: 0 }), 'options.maxConnections', 'an integer');
    expectInvalidOption(make({ closeTimeoutMs: -1 }), 'options.closeTimeoutMs', '');
    expectInvalidOption(make({ retryAfterSeconds: 1.5 }), 'options.retryAfterSeconds', 'an integer');
    expectInvalidOption(make({ wss: {} }), 'options.wss', 'a WebSocketServer');
    expectInvalidOption(make({ server: 3 }), 'options.server', 'an http.Server');
    expectInvalidOption(make({ server: {} }), 'options.server', 'an http.Server');
    expectInvalidOption(make({ shed: { shed: () => false } }), 'options.shed', 'a ShedDecision');
    expectInvalidOption(make({ onConnection: 'x' }), 'options.onConnection', 'a function');
    expectInvalidOption(make({ shed: { shed: true } }), 'options.shed', 'a ShedDecision');
    expectInvalidOption(make({ signal: {} }), 'options.signal', 'an AbortSignal');
    expectInvalidOption(
      make({ maxConnection: 5 }),
      'options.maxConnection',
      'absent: it is not an option of WebSocketGate',
    );
    expectInvalidOption(() => new WebSocketGate(null as never), 'options', 'an object');
    expect(server.listenerCount('upgrade')).toBe(0);
  });
});
