// StickyRouter at its edges: a port already taken, a worker replaced in its slot, workers that are
// connected but dead, hand-overs that fail, the waiting room's bound and what close() does to it,
// and a trusted proxy's head that arrives in two pieces.
import type { Worker } from 'node:cluster';
import { once } from 'node:events';
import net, { type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  closeRouters,
  FakeWorker,
  get,
  openKeepAlive,
  routers,
  splitGet,
  start,
} from '../../../test/helpers/stickyRouter.js';
import { StickyRouter } from './StickyRouter.js';

afterEach(closeRouters);

/** Yields to the event loop until `done()` holds. */
async function until(done: () => boolean): Promise<void> {
  while (!done()) await new Promise((resolve) => setImmediate(resolve));
}

/** A connection to `port` that sends nothing yet; resolves once connected. */
async function idleClient(port: number): Promise<net.Socket> {
  const socket = net.connect({ host: '127.0.0.1', port });
  socket.on('error', () => {});
  await once(socket, 'connect');
  return socket;
}

describe('StickyRouter at its edges', () => {
  it('rejects listen on a port already taken, and can listen elsewhere after', async () => {
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const router = new StickyRouter();
    routers.push(router);
    const port = (taken.address() as AddressInfo).port;
    await expect(router.listen(port, '127.0.0.1')).rejects.toMatchObject({ code: 'EADDRINUSE' });
    taken.close();
    await expect(router.listen(0, '')).rejects.toMatchObject({ option: 'host' });
    await router.listen(0, '127.0.0.1');
    expect(router.address?.port).toBeGreaterThan(0);
  });

  it('forgets the open connections of a slot’s old worker when another takes the slot', async () => {
    const router = new StickyRouter({ maxConnectionsPerSlot: 10 });
    const first = new FakeWorker('a');
    const port = await start(router, [first]);
    const held = await openKeepAlive(port);
    expect(router.stats().openPerSlot).toEqual({ w0: 1 });
    router.setWorker('w0', first.asWorker); // the same worker: its connections are still its own
    expect(router.stats().openPerSlot).toEqual({ w0: 1 });
    router.setWorker('w0', new FakeWorker('b').asWorker);
    expect(router.stats().openPerSlot).toEqual({ w0: 0 });
    held.socket.destroy();
  });

  it('counts as live only workers that are connected and not dead, and routes around the others', async () => {
    const dead = new FakeWorker('dead');
    dead.isDead = () => true; // still connected, as a worker is between 'exit' and 'disconnect'
    const router = new StickyRouter();
    const port = await start(router, [dead, new FakeWorker('b')]);
    expect(router.stats()).toMatchObject({ slots: 2, liveSlots: 1 });
    for (let i = 2; i < 10; i++) {
      expect((await get(port, { localAddress: `127.0.0.${i}` })).worker).toBe('b');
    }
  });

  it('drops a connection whose hand-over fails, and takes back what it counted', async () => {
    const failing = new FakeWorker('a');
    failing.send = (_message, _socket, callback) => {
      callback?.(new Error('channel closed'));
      return false;
    };
    const router = new StickyRouter({ maxConnectionsPerSlot: 5 });
    const port = await start(router, [failing]);
    await expect(get(port)).rejects.toThrow();
    await until(() => router.stats().dropped === 1);
    expect(router.stats()).toMatchObject({ connections: 0, perSlot: { w0: 0 }, openPerSlot: { w0: 0 } });
    const throwing = new FakeWorker('b');
    throwing.send = () => {
      throw new Error('EPIPE');
    };
    router.setWorker('w0', throwing.asWorker);
    await expect(get(port)).rejects.toThrow();
    await until(() => router.stats().dropped === 2);
    expect(router.stats()).toMatchObject({ connections: 0, perSlot: { w0: 0 } });
  });

  it('lets exactly maxPending connections wait, drops the next, and routes the waiting one later', async () => {
    const router = new StickyRouter({ maxPending: 1, pendingTimeoutMs: 60_000 });
    routers.push(router);
    await router.listen(0, '127.0.0.1');
    const port = (router.address as AddressInfo).port;
    const waiting = get(port, { path: '/first' });
    await until(() => router.stats().pending === 1);
    await expect(get(port)).rejects.toThrow();
    expect(router.stats()).toMatchObject({ pending: 1, dropped: 1 });
    router.setWorker('w0', new FakeWorker('a').asWorker);
    expect(await waiting).toEqual({ worker: 'a', body: '/first' });
  });

  it('closes the connections still waiting when it closes', async () => {
    const router = new StickyRouter({ pendingTimeoutMs: 60_000 });
    routers.push(router);
    await router.listen(0, '127.0.0.1');
    const port = (router.address as AddressInfo).port;
    const client = await idleClient(port);
    await until(() => router.stats().pending === 1);
    const closed = once(client, 'close');
    await router.close();
    await closed;
    expect(router.stats().pending).toBe(0);
  });

  it('waits for the whole head of a trusted proxy’s request before reading its X-Forwarded-For', async () => {
    const router = new StickyRouter({ trustedProxies: ['127.0.0.1'] });
    const port = await start(router, [new FakeWorker('a'), new FakeWorker('b'), new FakeWorker('c')]);
    const clients = Array.from({ length: 12 }, (_, i) => `203.0.113.${i + 1}`);
    const whole = new Map<string, string>();
    for (const client of clients) {
      whole.set(client, (await get(port, { headers: { 'x-forwarded-for': client } })).worker);
    }
    for (const client of clients) {
      const { worker } = await splitGet(
        port,
        'GET / HTTP/1.1\r\nHost: x\r\n',
        `X-Forwarded-For: ${client}\r\nConnection: close\r\n\r\n`,
      );
      expect(worker, client).toBe(whole.get(client));
    }
    expect(router.stats().forwarded).toBe(2 * clients.length);
  });

  it('refuses a non-worker, naming the slot’s expected value', () => {
    const router = new StickyRouter();
    expect(() => router.setWorker('w0', { send: 1 } as unknown as Worker)).toThrow(
      'Expected `worker` to be a cluster Worker or undefined, got `{"send":1}` (object)',
    );
  });
});
