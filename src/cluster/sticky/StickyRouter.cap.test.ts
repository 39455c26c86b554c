// maxConnectionsPerSlot: a client whose worker is full goes to the next worker on the ring with
// room; with every worker full, the primary refuses the connection with a 503 and counts it.
import http from 'node:http';
import type net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { expectInvalidOption } from '../../../test/helpers/expectInvalidOption.js';
import { closeRouters, FakeWorker, openKeepAlive, start } from '../../../test/helpers/stickyRouter.js';
import { StickyRouter } from './StickyRouter.js';

afterEach(closeRouters);

/** One request on a fresh connection: status, headers and body. */
function fetchOnce(
  port: number,
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      })
      .on('error', reject);
  });
}

describe('StickyRouter with maxConnectionsPerSlot', () => {
  it('sends a full worker’s clients to a worker with room, and refuses them when all are full', async () => {
    const router = new StickyRouter({ maxConnectionsPerSlot: 2 });
    const port = await start(router, [new FakeWorker('a'), new FakeWorker('b')]);
    const open: { worker: string | undefined; socket: net.Socket }[] = [];
    for (let i = 0; i < 4; i++) open.push(await openKeepAlive(port)); // one key: 127.0.0.1
    const owner = open[0]?.worker;
    expect(open.map((c) => c.worker)).toEqual([
      owner,
      owner,
      ...[2, 3].map(() => (owner === 'a' ? 'b' : 'a')),
    ]);
    expect(router.stats()).toMatchObject({ overflowed: 2, refused: 0, openPerSlot: { w0: 2, w1: 2 } });

    const refused = await fetchOnce(port);
    expect(refused.body).toBe('Server at connection limit\n');
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBe('1');
    expect(refused.headers.connection).toBe('close');
    expect(router.stats().refused).toBe(1);

    // One closes: once its worker has reported it, the key's own worker takes the next client.
    open[0]?.socket.destroy();
    const deadline = Date.now() + 5_000;
    while (
      (router.stats().openPerSlot.w0 ?? 0) + (router.stats().openPerSlot.w1 ?? 0) > 3 &&
      Date.now() < deadline
    )
      await sleep(20);
    open.push(await openKeepAlive(port));
    expect(open.at(-1)?.worker).toBe(owner);
    for (const c of open) c.socket.destroy();
  });

  it('refuses a bad bound', () => {
    for (const bad of [0, 1.5, -1, Number.POSITIVE_INFINITY]) {
      expectInvalidOption(
        () => new StickyRouter({ maxConnectionsPerSlot: bad }),
        'options.maxConnectionsPerSlot',
        'an integer',
      );
    }
  });
});
