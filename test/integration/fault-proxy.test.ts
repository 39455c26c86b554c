// The chaos suite's fault-injecting proxy (test/helpers/faultProxy.ts), against a plain TCP echo
// server, and once against a real redis-server through ioredis. These are real sockets, so the
// "nothing happens" checks wait out a short real interval (there is no event for silence), and the
// delay checks assert lower bounds only.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type FaultProxyHandle, HIGH_WATER_MARK_BYTES, startFaultProxy } from '../helpers/faultProxy.js';
import { describeWithRedis } from '../helpers/redis.js';
import { until } from '../helpers/until.js';

/** How long "nothing happens" is watched for. */
const QUIET_MS = 200;

const FAULT_PROXY_MODULE = new URL('../helpers/faultProxy.ts', import.meta.url).href;

/** Proxies to an echo server, leaves a chunk waiting out a 60 s delay, closes, and falls off the end. */
const CLOSE_SCRIPT = `
import { once } from 'node:events';
import { connect, createServer } from 'node:net';
const { startFaultProxy } = await import(process.env.FAULT_PROXY_MODULE);
const echo = createServer((socket) => {
  socket.on('error', () => {});
  socket.pipe(socket);
});
echo.listen(0, '127.0.0.1');
await once(echo, 'listening');
const proxy = await startFaultProxy({ target: { host: '127.0.0.1', port: echo.address().port } });
const client = connect(proxy.port, '127.0.0.1');
client.on('error', () => {});
await once(client, 'connect');
client.write('warm-up');
await once(client, 'data');
await proxy.setMode({ kind: 'delay', delayMs: 60_000 });
client.write('in flight');
await new Promise((resolve) => setTimeout(resolve, 50));
await proxy.close();
echo.close();
console.log('closed');
`;

type Echo = {
  readonly port: number;
  /** Everything the echo server has received, on any connection. */
  received(): string;
  /** Connections the echo server holds. */
  connections(): number;
  /** Writes `text` to every connection the echo server holds, unasked. */
  push(text: string): void;
  close(): Promise<void>;
};

/** A TCP echo server on a free loopback port; it passes FIN back too (`pipe` ends what it echoes). */
async function startEcho(): Promise<Echo> {
  let received = '';
  const sockets = new Set<Socket>();
  const server: Server = createServer({ allowHalfOpen: true }, (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
    });
    socket.pipe(socket);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no echo port');
  return {
    port: address.port,
    received: () => received,
    connections: () => sockets.size,
    push: (text) => {
      for (const socket of sockets) socket.write(text);
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      server.close();
      await once(server, 'close');
    },
  };
}

type Probe = {
  readonly socket: Socket;
  /** Everything received so far. */
  data(): string;
  /** `'connect' | 'end' | 'close' | 'error:<code>'`, in order. */
  readonly events: string[];
  /** Resolves once `data()` includes `text`. */
  receives(text: string): Promise<void>;
  /** Resolves with the error's code once the socket fails. */
  fails(): Promise<string | undefined>;
  closed(): Promise<void>;
};

/** A client socket to `port` that records what it sees. */
function probe(port: number): Probe {
  const socket = connect({ host: '127.0.0.1', port });
  let data = '';
  const events: string[] = [];
  const waiters = new Set<() => void>();
  socket.on('data', (chunk: Buffer) => {
    data += chunk.toString('latin1');
    for (const waiter of waiters) waiter();
  });
  socket.on('connect', () => events.push('connect'));
  socket.on('end', () => events.push('end'));
  const failed = new Promise<string | undefined>((resolve) => {
    socket.on('error', (error: NodeJS.ErrnoException) => {
      events.push(`error:${error.code}`);
      resolve(error.code);
    });
  });
  const closed = new Promise<void>((resolve) => {
    socket.on('close', () => {
      events.push('close');
      resolve();
    });
  });
  open.add(socket);
  return {
    socket,
    data: () => data,
    events,
    receives: (text) =>
      new Promise<void>((resolve) => {
        const check = (): void => {
          if (!data.includes(text)) return;
          waiters.delete(check);
          resolve();
        };
        waiters.add(check);
        check();
      }),
    fails: () => failed,
    closed: () => closed,
  };
}

async function connected(port: number): Promise<Probe> {
  const client = probe(port);
  await once(client.socket, 'connect');
  return client;
}

/** Client sockets and proxies of the current test, cleaned up after it. */
const open = new Set<Socket>();
const proxies = new Set<FaultProxyHandle>();

async function proxyTo(port: number): Promise<FaultProxyHandle> {
  const proxy = await startFaultProxy({ target: { host: '127.0.0.1', port } });
  proxies.add(proxy);
  return proxy;
}

describe('startFaultProxy', () => {
  let echo: Echo;
  beforeAll(async () => {
    echo = await startEcho();
  });
  afterAll(async () => {
    await echo.close();
  });
  afterEach(async () => {
    for (const socket of open) socket.destroy();
    open.clear();
    await Promise.all([...proxies].map((proxy) => proxy.close()));
    proxies.clear();
    // The echo side of each closed connection goes away a moment later; start every test clean.
    await until(() => echo.connections() === 0, 5_000);
  });

  it('listens on a loopback port and names it in a redis:// url', async () => {
    const proxy = await proxyTo(echo.port);
    expect(proxy.host).toBe('127.0.0.1');
    expect(proxy.port).toBeGreaterThan(0);
    expect(proxy.url).toBe(`redis://127.0.0.1:${proxy.port}`);
    expect(proxy.mode).toBe('pass');
    expect(proxy.connections).toBe(0);
    expect(proxy.droppedBytes).toBe(0);
    expect(proxy.pendingBytes).toBe(0);
  });

  it('rejects an invalid target or mode', async () => {
    await expect(startFaultProxy({ target: { host: '127.0.0.1', port: 0 } })).rejects.toThrow(
      /options\.target\.port/,
    );
    await expect(startFaultProxy({ target: { host: '', port: 6379 } })).rejects.toThrow(
      /options\.target\.host/,
    );
    const proxy = await proxyTo(echo.port);
    await expect(proxy.setMode({ kind: 'delay', delayMs: -1 })).rejects.toThrow(/mode\.delayMs/);
    await expect(proxy.setMode('drop' as never)).rejects.toThrow(/fault mode/);
    expect(proxy.mode).toBe('pass');
  });

  it('pass forwards bytes both ways, and FIN too', async () => {
    const proxy = await proxyTo(echo.port);
    const client = await connected(proxy.port);
    client.socket.write('hello');
    await client.receives('hello');
    expect(echo.received()).toContain('hello');
    expect(proxy.connections).toBe(1);

    client.socket.end();
    await client.closed();
    expect(client.events).toEqual(['connect', 'end', 'close']);
    await until(() => proxy.connections === 0, 5_000);
  });

  it('blackhole forwards nothing either way, and nobody sees a close or an error', async () => {
    const proxy = await proxyTo(echo.port);
    const before = await connected(proxy.port);
    before.socket.write('warm-up');
    await before.receives('warm-up');
    const receivedBefore = echo.received();

    await proxy.setMode('blackhole');
    expect(proxy.mode).toBe('blackhole');
    before.socket.write('lost on the way out');
    echo.push('lost on the way back');
    // A new connection is accepted and then hears nothing either.
    const during = await connected(proxy.port);
    during.socket.write('lost too');
    const lost = 'lost on the way out'.length + 'lost on the way back'.length + 'lost too'.length;
    await until(() => proxy.droppedBytes === lost, 5_000);
    await sleep(QUIET_MS);

    expect(echo.received()).toBe(receivedBefore);
    expect(before.data()).toBe('warm-up');
    expect(before.events).toEqual(['connect']);
    expect(during.data()).toBe('');
    expect(during.events).toEqual(['connect']);
    expect(proxy.connections).toBe(2);
  });

  it('leaving blackhole resets the connections that lost bytes, keeps the idle ones, and accepts new ones', async () => {
    const proxy = await proxyTo(echo.port);
    const lossy = await connected(proxy.port);
    const idle = await connected(proxy.port);

    await proxy.setMode('blackhole');
    lossy.socket.write('PING\r\n');
    await until(() => proxy.droppedBytes === 6, 5_000);

    await proxy.setMode('pass');
    expect(await lossy.fails()).toBe('ECONNRESET');
    idle.socket.write('still here');
    await idle.receives('still here');
    const fresh = await connected(proxy.port);
    fresh.socket.write('fresh');
    await fresh.receives('fresh');
  });

  it('delay holds each chunk at least delayMs in each direction', async () => {
    const delayMs = 100;
    const proxy = await proxyTo(echo.port);
    const client = await connected(proxy.port);
    await proxy.setMode({ kind: 'delay', delayMs });
    expect(proxy.mode).toEqual({ kind: 'delay', delayMs });

    const start = performance.now();
    client.socket.write('one,');
    client.socket.write('two,');
    client.socket.write('three');
    await client.receives('three');
    // There and back: at least one delay each way. Lower bound only: a busy machine only adds.
    expect(performance.now() - start).toBeGreaterThanOrEqual(2 * delayMs);
    expect(client.data()).toBe('one,two,three');
  });

  it('a later chunk never overtakes a delayed one when the delay is lifted', async () => {
    const proxy = await proxyTo(echo.port);
    const client = await connected(proxy.port);
    await proxy.setMode({ kind: 'delay', delayMs: 300 });
    client.socket.write('first,');
    await until(() => proxy.pendingBytes === 'first,'.length, 5_000);
    await proxy.setMode('pass');
    client.socket.write('second');
    await client.receives('second');
    expect(client.data()).toBe('first,second');
    expect(echo.received()).toContain('first,second');
  });

  it('delay passes a transfer far above the high-water mark intact and in order', async () => {
    const proxy = await proxyTo(echo.port);
    const client = await connected(proxy.port);
    await proxy.setMode({ kind: 'delay', delayMs: 5 });
    const size = 16 * HIGH_WATER_MARK_BYTES;
    const payload = Buffer.alloc(size, 0);
    for (let i = 0; i < size; i++) payload[i] = i % 251;
    const expected = payload.toString('latin1');
    let mostPending = 0;
    const sampler = setInterval(() => {
      mostPending = Math.max(mostPending, proxy.pendingBytes);
    }, 1);
    client.socket.write(payload);
    await until(() => client.data().length >= size, 20_000);
    clearInterval(sampler);
    expect(client.data() === expected).toBe(true);
    // Each direction stops reading at the mark; one read (at most 64 KiB) may land on top of it.
    expect(mostPending).toBeGreaterThan(0);
    expect(mostPending).toBeLessThanOrEqual(2 * (HIGH_WATER_MARK_BYTES + 64 * 1024));
  });

  it('reset fails open and new connections with ECONNRESET; back to pass, new connections work', async () => {
    const proxy = await proxyTo(echo.port);
    const open1 = await connected(proxy.port);
    const open2 = await connected(proxy.port);
    await until(() => proxy.connections === 2, 5_000);

    await proxy.setMode('reset');
    expect(await open1.fails()).toBe('ECONNRESET');
    expect(await open2.fails()).toBe('ECONNRESET');
    const during = probe(proxy.port);
    expect(await during.fails()).toBe('ECONNRESET');
    await until(() => proxy.connections === 0, 5_000);

    await proxy.setMode('pass');
    const after = await connected(proxy.port);
    after.socket.write('back');
    await after.receives('back');
  });

  it('refuse closes the port (ECONNREFUSED) and open connections; back to pass listens on the same port', async () => {
    const proxy = await proxyTo(echo.port);
    const port = proxy.port;
    const before = await connected(port);

    await proxy.setMode('refuse');
    await before.closed();
    expect(before.events).toContain('end');
    expect(await probe(port).fails()).toBe('ECONNREFUSED');

    await proxy.setMode('pass');
    expect(proxy.port).toBe(port);
    const after = await connected(port);
    after.socket.write('again');
    await after.receives('again');
  });

  it('close() destroys every connection and stops listening', async () => {
    const proxy = await startFaultProxy({ target: { host: '127.0.0.1', port: echo.port } });
    const client = await connected(proxy.port);
    client.socket.write('warm-up');
    await client.receives('warm-up');
    await proxy.setMode({ kind: 'delay', delayMs: 10_000 });
    client.socket.write('never delivered');

    await proxy.close();
    await proxy.close(); // idempotent
    expect(proxy.connections).toBe(0);
    await client.closed();
    expect(client.data()).toBe('warm-up');
    expect(await probe(proxy.port).fails()).toBe('ECONNREFUSED');
    await expect(proxy.setMode('pass')).rejects.toThrow(/closed/);
  });

  it('close() leaves no handle behind: a process that used it exits on its own', async () => {
    // Run in a child so "no handle left" means what it says: the child's event loop empties and it
    // exits, long before the 60 s delay timer the proxy had pending when it was closed.
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', CLOSE_SCRIPT], {
      env: { ...process.env, FAULT_PROXY_MODULE },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      output += text;
    });
    child.stderr.setEncoding('utf8').on('data', (text: string) => {
      output += text;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
    clearTimeout(timer);
    expect({ code, signal, output }).toEqual({ code: 0, signal: null, output: 'closed\n' });
  });
});

describeWithRedis('startFaultProxy in front of redis-server', (getRedis) => {
  let proxy: FaultProxyHandle;
  let client: Redis | undefined;
  beforeAll(async () => {
    const redis = getRedis();
    proxy = await startFaultProxy({ target: { host: redis.host, port: redis.port } });
  });
  afterAll(async () => {
    client?.disconnect();
    await proxy.close();
  });

  it('PINGs in pass, times out in blackhole instead of hanging, and recovers after pass', async () => {
    client = new Redis(proxy.url, { commandTimeout: 200, retryStrategy: () => 20, lazyConnect: true });
    client.on('error', () => undefined);
    await client.connect();
    expect(await client.ping()).toBe('PONG');

    await proxy.setMode('blackhole');
    await expect(client.ping()).rejects.toThrow('Command timed out');
    expect(client.status).toBe('ready'); // hung, not closed: nothing told ioredis otherwise

    // The PING was dropped, so the proxy resets that connection and ioredis connects again.
    // (Not events.once: it would reject on the ECONNRESET 'error' that comes first.)
    const ready = new Promise((resolve) => client?.once('ready', resolve));
    await proxy.setMode('pass');
    await ready;
    expect(await client.ping()).toBe('PONG');
  });
});
