import type { Worker } from 'node:cluster';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { expectInvalidOption } from '../../../test/helpers/expectInvalidOption.js';
import {
  closeRouters,
  FakeWorker,
  get,
  type Reply,
  routers,
  start,
} from '../../../test/helpers/stickyRouter.js';
import { isLoadstoneError } from '../../core/index.js';
import { acceptHandedConnection, acceptStickyConnections } from './acceptStickyConnections.js';
import { StickyRouter } from './StickyRouter.js';

const addresses = Array.from({ length: 16 }, (_, i) => `127.0.0.${i + 2}`);

afterEach(closeRouters);

describe('StickyRouter', () => {
  it('example: the primary side', async () => {
    const workers = [new FakeWorker('a').asWorker, new FakeWorker('b').asWorker];
    // #region stickyRouter
    // In the primary (ClusterSupervisor does this with `sticky: true`):
    const router = new StickyRouter({ key: 'address' }); // or { header: 'x-forwarded-for' }, { cookie: 'sid' }
    workers.forEach((worker, i) => {
      router.setWorker(`w${i}`, worker); // slot ids stay when a worker is replaced
    });
    await router.listen(0, '127.0.0.1');
    // worker 'exit':        router.setWorker('w1', undefined); → its clients go to the next slot
    // replacement ready:    router.setWorker('w1', replacement); → they come back
    // #endregion stickyRouter
    routers.push(router);
    const port = (router.address as AddressInfo).port;
    expect((await get(port, { path: '/hello' })).body).toBe('/hello');
    expect(router.stats().connections).toBe(1);
  });

  it('sends one address always to one worker, and different addresses to all workers', async () => {
    const workers = [new FakeWorker('a'), new FakeWorker('b'), new FakeWorker('c')];
    const router = new StickyRouter();
    const port = await start(router, workers);
    const owner = new Map<string, string>();
    for (let round = 0; round < 5; round++) {
      for (const localAddress of addresses) {
        const { worker } = await get(port, { localAddress });
        expect(owner.get(localAddress) ?? worker).toBe(worker);
        owner.set(localAddress, worker);
      }
    }
    expect(new Set(owner.values())).toEqual(new Set(['a', 'b', 'c']));
    const stats = router.stats();
    expect(stats.connections).toBe(5 * addresses.length);
    expect(Object.values(stats.perSlot).reduce((a, b) => a + b, 0)).toBe(stats.connections);
    expect(stats).toMatchObject({ slots: 3, liveSlots: 3, rerouted: 0, dropped: 0, pending: 0 });
  });

  it('moves only a down slot’s clients, to other slots, and brings them back', async () => {
    const workers = [new FakeWorker('a'), new FakeWorker('b'), new FakeWorker('c')];
    const router = new StickyRouter();
    const port = await start(router, workers);
    const before = new Map<string, string>();
    for (const localAddress of addresses)
      before.set(localAddress, (await get(port, { localAddress })).worker);
    const b = workers[1] as FakeWorker;
    b.up = false; // the worker died: no longer connected, before the supervisor even knows
    const during = new Map<string, string>();
    for (const localAddress of addresses)
      during.set(localAddress, (await get(port, { localAddress })).worker);
    for (const localAddress of addresses) {
      if (before.get(localAddress) === 'b') expect(during.get(localAddress)).not.toBe('b');
      else expect(during.get(localAddress)).toBe(before.get(localAddress));
    }
    expect(router.stats().rerouted).toBe([...before.values()].filter((w) => w === 'b').length);
    const replacement = new FakeWorker('b2');
    router.setWorker('w1', replacement.asWorker);
    for (const localAddress of addresses) {
      const { worker } = await get(port, { localAddress });
      expect(worker).toBe(before.get(localAddress) === 'b' ? 'b2' : before.get(localAddress));
    }
  });

  it('routes by a header, replaying the bytes it read, and by address without it', async () => {
    const workers = [new FakeWorker('a'), new FakeWorker('b'), new FakeWorker('c')];
    const router = new StickyRouter({ key: { header: 'X-Client-Id' } });
    const port = await start(router, workers);
    const seen = new Map<string, Set<string>>();
    for (let client = 0; client < 30; client++) {
      for (const localAddress of addresses.slice(0, 4)) {
        const reply = await get(port, {
          localAddress,
          headers: { 'x-client-id': `client-${client}` },
          path: `/c${client}`,
        });
        expect(reply.body).toBe(`/c${client}`);
        seen.set(`client-${client}`, (seen.get(`client-${client}`) ?? new Set()).add(reply.worker));
      }
    }
    for (const owners of seen.values()) expect(owners.size).toBe(1);
    expect(new Set([...seen.values()].flatMap((s) => [...s])).size).toBe(3);
    const byAddress = await get(port, { localAddress: '127.0.0.2' });
    expect(byAddress.body).toBe('/');
  });

  it('routes by a cookie', async () => {
    const workers = [new FakeWorker('a'), new FakeWorker('b')];
    const router = new StickyRouter({ key: { cookie: 'sid' } });
    const port = await start(router, workers);
    for (let session = 0; session < 8; session++) {
      const owners = new Set<string>();
      for (const localAddress of addresses.slice(0, 4)) {
        const cookie = `theme=dark; sid=s${session}; lang=en`;
        owners.add((await get(port, { localAddress, headers: { cookie } })).worker);
      }
      expect(owners.size).toBe(1);
    }
  });

  it('keeps a keep-alive connection on its worker, routed once', async () => {
    const workers = [new FakeWorker('a'), new FakeWorker('b')];
    const router = new StickyRouter({ key: { header: 'x-client-id' } });
    const port = await start(router, workers);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const owners = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const reply = await new Promise<Reply>((resolve, reject) => {
        http
          .get(
            { host: '127.0.0.1', port, agent, path: `/${i}`, headers: { 'x-client-id': `id-${i}` } },
            (res) => {
              let body = '';
              res.on('data', (chunk: Buffer) => {
                body += chunk.toString();
              });
              res.on('end', () => resolve({ worker: String(res.headers['x-worker']), body }));
            },
          )
          .on('error', reject);
      });
      expect(reply.body).toBe(`/${i}`);
      owners.add(reply.worker);
    }
    agent.destroy();
    expect(owners.size).toBe(1);
    expect(router.stats().connections).toBe(1);
  });

  it('holds connections while no worker is up, then routes them', async () => {
    const router = new StickyRouter();
    routers.push(router);
    await router.listen(0, '127.0.0.1');
    const port = (router.address as AddressInfo).port;
    const reply = get(port, { path: '/early' });
    const down = new FakeWorker('a');
    down.up = false;
    router.setWorker('w0', down.asWorker);
    while (router.stats().pending === 0) await new Promise((resolve) => setImmediate(resolve));
    router.setWorker('w0', new FakeWorker('a2').asWorker);
    expect(await reply).toEqual({ worker: 'a2', body: '/early' });
    expect(router.stats()).toMatchObject({ pending: 0, connections: 1, dropped: 0 });
  });

  it('closes connections when nothing may wait, or a wait times out', async () => {
    const router = new StickyRouter({ maxPending: 1, pendingTimeoutMs: 1 });
    routers.push(router);
    await router.listen(0, '127.0.0.1');
    const port = (router.address as AddressInfo).port;
    const outcomes = await Promise.allSettled([get(port), get(port)]);
    expect(outcomes.every((o) => o.status === 'rejected')).toBe(true);
    expect(router.stats()).toMatchObject({ dropped: 2, pending: 0 });
  });

  it('routes a head that never ends by address, and drops clients that leave mid-head', async () => {
    const workers = [new FakeWorker('a')];
    const router = new StickyRouter({ key: { header: 'x-id' }, headTimeoutMs: 1 });
    const port = await start(router, workers);
    const { createConnection } = await import('node:net');
    const partial = createConnection({ port, host: '127.0.0.1' });
    partial.write('GET /slow HTTP/1.1\r\nHost: x\r\n');
    await once(partial, 'connect');
    while (router.stats().connections === 0) await new Promise((resolve) => setImmediate(resolve));
    partial.end('\r\n');
    const response = await new Promise<string>((resolve) => {
      let text = '';
      partial.on('data', (chunk: Buffer) => {
        text += chunk.toString();
      });
      partial.on('end', () => resolve(text));
    });
    expect(response).toMatch(/^HTTP\/1.1 200 OK[\s\S]*\/slow/);
    const router2 = new StickyRouter({ key: { header: 'x-id' } });
    const port2 = await start(router2, [new FakeWorker('b')]);
    const leaver = createConnection({ port: port2, host: '127.0.0.1' });
    await once(leaver, 'connect');
    leaver.end('GET / HTTP/1.1\r\n');
    await once(leaver, 'close');
    while (router2.stats().dropped === 0) await new Promise((resolve) => setImmediate(resolve));
    expect(router2.stats()).toMatchObject({ dropped: 1, connections: 0 });
  });

  it('removes slots, stops on close, and refuses use after it', async () => {
    const workers = [new FakeWorker('a'), new FakeWorker('b')];
    const router = new StickyRouter();
    const port = await start(router, workers);
    router.removeSlot('w1');
    router.removeSlot('unknown');
    for (const localAddress of addresses.slice(0, 6))
      expect((await get(port, { localAddress })).worker).toBe('a');
    expect(router.stats().slots).toBe(1);
    await router.close();
    await router.close();
    expect(router.closed).toBe(true);
    await expect(get(port)).rejects.toThrow(/ECONNREFUSED/);
    const error = await router.listen(0).catch((e: unknown) => e);
    expect(isLoadstoneError(error, 'ERR_LOADSTONE_CLOSED')).toBe(true);
    expect(() => router.setWorker('w0', undefined)).toThrow(/closed/);
  });

  it('validates its options and arguments', async () => {
    expectInvalidOption(() => new StickyRouter({ key: 'cookie' as never }), 'options.key', "'address'");
    expectInvalidOption(
      () => new StickyRouter({ key: { header: '' } }),
      'options.key.header',
      'a non-empty string',
    );
    expectInvalidOption(
      () => new StickyRouter({ key: { cookie: 1 as never } }),
      'options.key.cookie',
      'a non-empty string',
    );
    expectInvalidOption(
      () => new StickyRouter({ key: { header: 'a', cookie: 'b' } as never }),
      'options.key',
      "'address'",
    );
    expectInvalidOption(
      () => new StickyRouter({ maxHeadBytes: 10 }),
      'options.maxHeadBytes',
      'an integer from 64 to 1048576',
    );
    expectInvalidOption(
      () => new StickyRouter({ headTimeoutMs: 0 }),
      'options.headTimeoutMs',
      'an integer >= 1',
    );
    expectInvalidOption(() => new StickyRouter({ maxPending: -1 }), 'options.maxPending', 'an integer >= 0');
    expectInvalidOption(
      () => new StickyRouter({ pendingTimeoutMs: 0.5 }),
      'options.pendingTimeoutMs',
      'an integer >= 1',
    );
    expectInvalidOption(() => new StickyRouter('x' as never), 'options', 'an object');
    const router = new StickyRouter();
    expectInvalidOption(() => router.setWorker('', undefined), 'slot', 'a non-empty string');
    expectInvalidOption(() => router.setWorker('w0', {} as Worker), 'worker', 'a cluster Worker');
    const error = await router.listen(70_000).catch((e: unknown) => e);
    expect(isLoadstoneError(error, 'ERR_LOADSTONE_INVALID_OPTION')).toBe(true);
    await router.close();
  });
});

describe('acceptStickyConnections', () => {
  it('example: the worker side; idle connections close although the server never listened', async () => {
    const router = new StickyRouter({ key: { cookie: 'sid' } });
    routers.push(router);
    // Stands in for the IPC channel (vitest's own runs over this process's): the router's
    // message and socket go straight to what the worker-side listener calls.
    const worker = new FakeWorker('unused');
    worker.send = (message, socket, callback) => {
      acceptHandedConnection(server, message, socket);
      callback?.(null);
      return true;
    };
    router.setWorker('w0', worker.asWorker);
    await router.listen(0, '127.0.0.1');
    // #region acceptStickyConnections
    // In each worker (ClusterSupervisor does this with `sticky: true`): do not listen().
    const server = http.createServer((_req, res) => res.end(`hello from ${process.pid}`));
    const accepting = acceptStickyConnections(server);
    // … at exit: accepting[Symbol.dispose]();
    // #endregion acceptStickyConnections
    const port = (router.address as AddressInfo).port;
    const agent = new http.Agent({ keepAlive: true });
    const fetchOnce = (): Promise<string> =>
      new Promise((resolve, reject) => {
        http
          .get({ host: '127.0.0.1', port, agent, headers: { cookie: 'sid=1' } }, (res) => {
            let body = '';
            res.on('data', (chunk: Buffer) => {
              body += chunk.toString();
            });
            res.on('end', () => resolve(body));
          })
          .on('error', reject);
      });
    expect(await fetchOnce()).toBe(`hello from ${process.pid}`);
    expect(await fetchOnce()).toBe(`hello from ${process.pid}`);
    // Connection bookkeeping runs although the server never listened: idle sockets close.
    const [socket] = Object.values(agent.freeSockets)[0] ?? [];
    const closed = once(socket as NonNullable<typeof socket>, 'close');
    server.closeIdleConnections();
    await closed;
    accepting[Symbol.dispose]();
    agent.destroy();
  });

  it('refuses a listening server or a non-server', async () => {
    expectInvalidOption(() => acceptStickyConnections({} as never), 'server', 'a net.Server');
    const server = http.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    expectInvalidOption(() => acceptStickyConnections(server), 'server', 'a server that does not listen');
    server.close();
  });
});
