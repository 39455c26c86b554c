// Sticky routing behind a proxy: the client a trusted proxy names (X-Forwarded-For, the PROXY
// protocol) is the routing key; anyone else's claims are ignored.
import { once } from 'node:events';
import net, { type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { expectInvalidOption } from '../../../test/helpers/expectInvalidOption.js';
import {
  closeRouters,
  FakeWorker,
  get,
  QueuedWorker,
  rawGet,
  routers,
  start,
} from '../../../test/helpers/stickyRouter.js';
import { StickyRouter } from './StickyRouter.js';

afterEach(closeRouters);

const clients = Array.from({ length: 24 }, (_, i) => `203.0.113.${i + 1}`);
const workers = () => [new FakeWorker('a'), new FakeWorker('b'), new FakeWorker('c')];

/** Asserts each client key stuck to one worker over `rounds`, and that all workers were used. */
async function expectSticky(send: (client: string) => Promise<string>, rounds = 3): Promise<void> {
  const owner = new Map<string, string>();
  for (let round = 0; round < rounds; round++) {
    for (const client of clients) {
      const worker = await send(client);
      expect(owner.get(client) ?? worker).toBe(worker);
      owner.set(client, worker);
    }
  }
  expect(new Set(owner.values())).toEqual(new Set(['a', 'b', 'c']));
}

describe('StickyRouter behind trusted proxies', () => {
  it('routes by the X-Forwarded-For client of a trusted proxy', async () => {
    const router = new StickyRouter({ trustedProxies: ['127.0.0.1'] });
    const port = await start(router, workers());
    await expectSticky(async (client) => {
      // The proxy appends the address it received from; a client's own claim sits further left.
      const headers = { 'x-forwarded-for': `6.6.6.6, ${client}` };
      return (await get(port, { headers })).worker;
    });
    expect(router.stats()).toMatchObject({ forwarded: 3 * clients.length, proxyHeaderMissing: 0 });
  });

  it('ignores X-Forwarded-For from a peer it does not trust', async () => {
    const router = new StickyRouter({ trustedProxies: ['10.0.0.0/8'] });
    const port = await start(router, workers());
    const seen = new Set<string>();
    for (const client of clients) {
      seen.add((await get(port, { headers: { 'x-forwarded-for': client } })).worker);
    }
    expect(seen.size).toBe(1); // every request keyed by the one socket address
    expect(router.stats().forwarded).toBe(0);
  });

  it('reads, routes by and strips the PROXY header of a trusted proxy', async () => {
    const router = new StickyRouter({ trustedProxies: ['127.0.0.0/8'], proxyProtocol: true });
    const port = await start(router, workers());
    await expectSticky(async (client) => {
      const reply = await rawGet(port, `PROXY TCP4 ${client} 127.0.0.1 40000 ${port}\r\n`);
      expect(reply.body).toBe('/raw'); // the worker's HTTP parser never saw the PROXY line
      return reply.worker;
    });
    expect(router.stats().forwarded).toBe(3 * clients.length);
  });

  it('routes a trusted connection without a PROXY header by its own address, and counts it', async () => {
    const router = new StickyRouter({ trustedProxies: ['127.0.0.1'], proxyProtocol: true });
    const port = await start(router, workers());
    const reply = await rawGet(port, '');
    expect(reply.body).toBe('/raw');
    expect(router.stats()).toMatchObject({ proxyHeaderMissing: 1, forwarded: 0 });
  });

  it('passes a PROXY header from an untrusted peer on unchanged: the worker refuses it', async () => {
    const router = new StickyRouter({ trustedProxies: ['10.0.0.1'], proxyProtocol: true });
    const port = await start(router, workers());
    const reply = await rawGet(port, 'PROXY TCP4 203.0.113.1 127.0.0.1 40000 80\r\n');
    expect(reply.worker).toBe('none'); // 400 Bad Request from Node's parser, not a routed request
    expect(router.stats().forwarded).toBe(0);
  });

  it('falls back to the forwarded client when a header key is missing', async () => {
    const router = new StickyRouter({ key: { header: 'x-session' }, trustedProxies: ['127.0.0.1'] });
    const port = await start(router, workers());
    await expectSticky(
      async (client) => (await get(port, { headers: { 'x-forwarded-for': client } })).worker,
    );
  });

  it('reads nothing past the head while the hand-over waits: the worker gets the first WebSocket frame', async () => {
    // Behind nginx the client's first frame (its `join`) follows the 101, while the primary may
    // still hold the handle (Node sends one handle per worker at a time, each after the worker's
    // ACK of the one before). Bytes the primary reads then never reach the worker.
    const router = new StickyRouter({ trustedProxies: ['127.0.0.1'] });
    routers.push(router);
    const worker = new QueuedWorker('a');
    router.setWorker('w0', worker.asWorker);
    await router.listen(0, '127.0.0.1');
    let received = '';
    worker.server.on('upgrade', (_req, socket: net.Socket, head: Buffer) => {
      socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
      received += head.toString('latin1');
      socket.on('data', (chunk: Buffer) => {
        received += chunk.toString('latin1');
        if (received === 'first-frame') socket.end('got it');
      });
    });
    const head =
      'GET /chat HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nX-Forwarded-For: 203.0.113.7\r\n\r\n';
    const client = net.connect((router.address as AddressInfo).port, '127.0.0.1');
    client.write(head);
    const held = await worker.held;
    await new Promise((resolve) => client.write('first-frame', resolve));
    // Two turns of the event loop: a primary still reading has read the frame by now (loopback).
    for (let turn = 0; turn < 2; turn++) await new Promise((resolve) => setImmediate(resolve));
    expect(held.bytesRead).toBe(head.length);
    worker.release();
    let reply = '';
    client.setEncoding('latin1').on('data', (chunk: string) => {
      reply += chunk;
    });
    await once(client, 'end');
    expect(reply).toMatch(/^HTTP\/1\.1 101 [\s\S]*got it$/);
    expect(router.stats().forwarded).toBe(1);
  });

  it('refuses proxyProtocol without trusted proxies, and a bad list', () => {
    expectInvalidOption(
      () => new StickyRouter({ proxyProtocol: true }),
      'options.proxyProtocol',
      'false unless',
    );
    expectInvalidOption(
      () => new StickyRouter({ trustedProxies: ['127.0.0.1'], proxyProtocol: 'yes' as unknown as boolean }),
      'options.proxyProtocol',
      'a boolean',
    );
    expectInvalidOption(
      () => new StickyRouter({ trustedProxies: ['nginx'] }),
      'options.trustedProxies[0]',
      'an IP',
    );
  });
});
