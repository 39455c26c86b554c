// Smoke test of examples/ws-chat: two users on different workers (sticky routing by client
// address, so they connect from different loopback addresses) see each other and exchange
// messages; the per-worker limit answers 503; health routes and /metrics answer; SIGTERM closes
// the sockets with 1001 and the process exits 0. With Redis: two instances ("machines") talk.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { type ExampleHandle, killAllExamples, startExample } from '../helpers/exampleProcess.js';
import { type PromFamily, parsePrometheusText } from '../helpers/promText.js';
import { describeWithRedis } from '../helpers/redis.js';

type ServerMessage = {
  type: 'message' | 'presence' | 'error' | 'sent' | 'gap';
  worker: string;
  id?: string;
  to?: string;
  from?: string;
  text?: string;
  online?: string[];
};

const WAIT_MS = 15_000;

/** A chat connection that records every server message, so a test can wait for one. */
class ChatClient {
  readonly received: ServerMessage[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  #waiters = new Set<() => void>();

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      this.received.push(JSON.parse(String(data)) as ServerMessage);
      for (const wake of this.#waiters) wake();
    });
    this.closed = new Promise((resolve) => {
      ws.once('close', (code, reason) => resolve({ code, reason: String(reason) }));
    });
  }

  /** Opens a WebSocket from `localAddress`; rejects with the HTTP status when the upgrade is refused. */
  static async connect(httpUrl: string, localAddress = '127.0.0.1'): Promise<ChatClient> {
    const ws = new WebSocket(httpUrl.replace(/^http/, 'ws'), { localAddress });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('unexpected-response', (_req, res) => {
        ws.terminate();
        reject(Object.assign(new Error(`upgrade refused: ${res.statusCode}`), { status: res.statusCode }));
      });
      ws.once('error', reject);
    });
    return new ChatClient(ws);
  }

  send(message: object): void {
    this.ws.send(JSON.stringify(message));
  }

  /** Resolves with the first message from index `from` on (received so far or later) that matches. */
  waitFor(predicate: (m: ServerMessage) => boolean, what: string, from = 0): Promise<ServerMessage> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const found = this.received.slice(from).find(predicate);
        if (found === undefined) return false;
        this.#waiters.delete(wake);
        clearTimeout(timer);
        resolve(found);
        return true;
      };
      const wake = (): void => {
        check();
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(wake);
        reject(new Error(`no ${what} within ${WAIT_MS} ms; got ${JSON.stringify(this.received)}`));
      }, WAIT_MS);
      this.#waiters.add(wake);
      check();
    });
  }

  /** Joins as `user` and resolves with the worker serving this connection. */
  async join(user: string): Promise<string> {
    this.send({ type: 'join', user });
    const presence = await this.waitFor(
      (m) => m.type === 'presence' && m.online?.includes(user) === true,
      `presence with ${user}`,
    );
    return presence.worker;
  }

  waitForOnline(users: string[], from = 0): Promise<ServerMessage> {
    const wanted = JSON.stringify([...users].sort());
    return this.waitFor(
      (m) => m.type === 'presence' && JSON.stringify(m.online) === wanted,
      `presence ${wanted}`,
      from,
    );
  }
}

/** `127.0.0.2`, `127.0.0.3`, …: sticky routing hashes the client address. */
const address = (i: number): string => `127.0.0.${i + 2}`;

afterAll(() => {
  killAllExamples();
});

describe('examples/ws-chat', () => {
  let chat: ExampleHandle;
  let limited: ExampleHandle;
  let alice: ChatClient;
  let bob: ChatClient;
  let aliceWorker: string;
  let bobWorker: string;

  beforeAll(async () => {
    [chat, limited] = await Promise.all([
      startExample('ws-chat', { env: { WORKERS: '2' } }),
      startExample('ws-chat', { env: { WORKERS: '1', MAX_CONNECTIONS_PER_WORKER: '1' } }),
    ]);
  });

  it('serves the health routes on the public port', async () => {
    const live = await fetch(`${chat.url}/health/live`);
    expect(live.status).toBe(200);
    expect(await live.json()).toMatchObject({ alive: true });
    // Readiness waits for the monitor's first samples on a busy machine; it must turn 200.
    const deadline = Date.now() + WAIT_MS;
    let ready = await fetch(`${chat.url}/health/ready`);
    while (ready.status !== 200 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      ready = await fetch(`${chat.url}/health/ready`);
    }
    expect(ready.status).toBe(200);
  });

  it('shows presence and carries messages between users on different workers', async () => {
    alice = await ChatClient.connect(chat.url, address(0));
    aliceWorker = await alice.join('alice');
    // Find an address the sticky router sends to the other worker.
    let mark = 0;
    for (let i = 1; i < 32; i++) {
      mark = alice.received.length;
      const candidate = await ChatClient.connect(chat.url, address(i));
      const worker = await candidate.join('bob');
      if (worker !== aliceWorker) {
        bob = candidate;
        bobWorker = worker;
        break;
      }
      candidate.ws.close();
      await candidate.closed;
    }
    expect(bobWorker).toBeDefined();
    expect(bobWorker).not.toBe(aliceWorker);

    // Both workers know both users (a rejected candidate "bob" may have come and gone before).
    await Promise.all([alice.waitForOnline(['alice', 'bob'], mark), bob.waitForOnline(['alice', 'bob'])]);

    alice.send({ type: 'say', to: 'bob', text: 'hi bob, from another worker' });
    const toBob = await bob.waitFor((m) => m.type === 'message' && m.from === 'alice', 'alice → bob');
    expect(toBob).toEqual({
      type: 'message',
      from: 'alice',
      text: 'hi bob, from another worker',
      worker: bobWorker,
    });
    bob.send({ type: 'say', to: 'alice', text: 'hi alice' });
    const toAlice = await alice.waitFor((m) => m.type === 'message' && m.from === 'bob', 'bob → alice');
    expect(toAlice).toMatchObject({ text: 'hi alice', worker: aliceWorker });

    bob.send({ type: 'say', text: 'hello everyone' });
    await Promise.all(
      [alice, bob].map((c) => c.waitFor((m) => m.text === 'hello everyone', 'the broadcast')),
    );
    // A direct message reached nobody else.
    expect(alice.received.filter((m) => m.text === 'hi bob, from another worker')).toEqual([]);

    bob.send({ type: 'say', to: 'nobody', text: '?' });
    await bob.waitFor((m) => m.type === 'error' && m.text === 'nobody is not online', 'an error');
  });

  it('refuses an upgrade over the per-worker connection limit with 503', async () => {
    const first = await ChatClient.connect(limited.url);
    await first.join('carol');
    const refused = await ChatClient.connect(limited.url).catch((error: { status?: number }) => error);
    expect(refused).toMatchObject({ status: 503 });
    // An oversized frame closes that socket (1009), not the worker.
    first.send({ type: 'say', text: 'x'.repeat(5_000) });
    expect((await first.closed).code).toBe(1009);
    expect((await fetch(`${limited.url}/health/live`)).status).toBe(200);
  });

  it('exposes Prometheus metrics of the whole cluster on the admin port', async () => {
    expect(chat.adminUrl).toBeDefined();
    const sum = (families: Map<string, PromFamily>, name: string): number =>
      (families.get(name)?.samples ?? []).reduce((total, s) => total + s.value, 0);
    // Workers' families ride on heartbeats (one a second each): wait until both workers' latest
    // reports include the two sockets and the three messages sent above.
    const settled = (f: Map<string, PromFamily>): boolean =>
      sum(f, 'chat_connections') === 2 && sum(f, 'chat_messages_total') >= 3;
    const deadline = Date.now() + WAIT_MS;
    let families: Map<string, PromFamily>;
    for (;;) {
      const res = await fetch(`${chat.adminUrl}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
      families = parsePrometheusText(await res.text());
      if (settled(families) || Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const ready = families.get('loadstone_cluster_workers')?.samples.find((s) => s.labels.state === 'ready');
    expect(ready?.value).toBe(2);
    const connections = families.get('chat_connections')?.samples ?? [];
    expect(new Set(connections.map((s) => s.labels.worker))).toEqual(new Set([aliceWorker, bobWorker]));
    expect(sum(families, 'chat_connections')).toBe(2);
    expect(sum(families, 'chat_messages_total')).toBeGreaterThanOrEqual(3);
    expect(families.get('chat_messages_total')?.type).toBe('counter');
    expect(families.get('loadstone_health_status')?.type).toBe('gauge');
    expect(sum(families, 'loadstone_bus_messages_relayed_total')).toBeGreaterThan(0);
  });

  it('closes every socket with 1001 on SIGTERM and exits 0', async () => {
    const [stopped, aliceClosed, bobClosed] = await Promise.all([chat.stop(), alice.closed, bob.closed]);
    expect(aliceClosed).toEqual({ code: 1001, reason: 'going away' });
    expect(bobClosed).toEqual({ code: 1001, reason: 'going away' });
    expect(stopped).toEqual({ code: 0, signal: null });
    expect(await limited.stop()).toEqual({ code: 0, signal: null });
    expect(chat.output()).not.toMatch(/error|warning/i);
  });
});

describeWithRedis('examples/ws-chat with REDIS_URL: two machines', (getRedis) => {
  it('carries presence and messages between two instances', async () => {
    const env = { WORKERS: '1', REDIS_URL: getRedis().url };
    const [east, west] = await Promise.all([
      startExample('ws-chat', { env }),
      startExample('ws-chat', { env }),
    ]);
    expect(east.output()).toContain('Redis pub/sub');
    const dave = await ChatClient.connect(east.url);
    const erin = await ChatClient.connect(west.url);
    await dave.join('dave');
    await erin.join('erin');
    await Promise.all([dave.waitForOnline(['dave', 'erin']), erin.waitForOnline(['dave', 'erin'])]);

    dave.send({ type: 'say', to: 'erin', text: 'across machines' });
    await erin.waitFor((m) => m.from === 'dave' && m.text === 'across machines', 'dave → erin');
    erin.send({ type: 'say', to: 'dave', text: 'and back' });
    await dave.waitFor((m) => m.from === 'erin' && m.text === 'and back', 'erin → dave');

    // West's worker says goodbye on shutdown: east drops erin at once, not after the presence TTL.
    const erinClosed = erin.closed;
    const mark = dave.received.length;
    expect(await west.stop()).toEqual({ code: 0, signal: null });
    expect((await erinClosed).code).toBe(1001);
    await dave.waitForOnline(['dave'], mark);

    // A direct message to erin while she is offline waits in her mailbox. She comes back on the
    // other machine saying the last id she saw, and gets only what came after it.
    const lastSeen = erin.received.findLast((m) => m.type === 'message' && m.id !== undefined)?.id;
    expect(lastSeen).toBeDefined();
    dave.send({ type: 'say', to: 'erin', text: 'while you were away' });
    await dave.waitFor((m) => m.type === 'sent' && m.to === 'erin', 'stored for erin');
    const back = await ChatClient.connect(east.url);
    back.send({ type: 'join', user: 'erin', after: lastSeen });
    await back.waitFor((m) => m.text === 'while you were away', 'the message kept for erin');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(back.received.filter((m) => m.type === 'message').map((m) => m.text)).toEqual([
      'while you were away',
    ]);
    expect(await east.stop()).toEqual({ code: 0, signal: null });
    expect(`${east.output()}${west.output()}`).not.toMatch(/error|warning/i);
  });
});
