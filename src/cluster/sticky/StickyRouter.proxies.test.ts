// Sticky routing behind a proxy: the client a trusted proxy names (X-Forwarded-For, the PROXY
// protocol) is the routing key; anyone else's claims are ignored.
import { afterEach, describe, expect, it } from 'vitest';
import { expectInvalidOption } from '../../../test/helpers/expectInvalidOption.js';
import { closeRouters, FakeWorker, get, rawGet, start } from '../../../test/helpers/stickyRouter.js';
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
