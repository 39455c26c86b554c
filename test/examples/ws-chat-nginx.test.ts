// The chat seed's deployment, for real: three ws-chat supervisors ("machines", two workers each)
// on one Redis, behind a real nginx with the seed's `ip_hash` upstream. 300 WebSocket clients
// connect through nginx from 300 different /24 addresses (ip_hash keys on the first three
// octets). One supervisor is SIGKILLed with its workers; its users go offline for everyone
// within the presence bound, reconnect through nginx to the other machines, and receive every
// direct message sent to them meanwhile, in order, once. Each machine's bus is bridged to Redis by
// its primary: one subscription per machine. Needs nginx and redis-server: skipped
// loudly without them, failed under CI=true (where .ci/run installs both).
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { findNginx, type NginxHandle, startNginx } from '../../examples/ws-chat/nginx.js';
import { type ExampleHandle, killAllExamples, startExample } from '../helpers/exampleProcess.js';
import { isCI, type RedisServerHandle, redisAvailability, startRedis } from '../helpers/redis.js';

const CLIENTS = 300;
const HEARTBEAT_MS = 500;
/** Presence's bound for a lost machine: ttlMs (3 heartbeats), checked once per heartbeat. */
const OFFLINE_BOUND_MS = 4 * HEARTBEAT_MS;
const BEFORE = 2; // direct messages each victim gets live before the kill
const DURING = 5; // … and while it is offline
const WAIT_MS = 30_000;

type Received = {
  type: string;
  worker: string;
  id?: string;
  from?: string;
  text?: string;
  online?: string[];
};

/** One user: reconnectable, acknowledges every direct message, keeps the last id it saw. */
class User {
  ws: WebSocket | undefined;
  worker = '';
  lastId: string | undefined;
  readonly direct: { id: string; text: string }[] = [];
  online: string[] = [];
  sent = 0;
  #wakers = new Set<() => void>();

  constructor(
    readonly name: string,
    readonly address: string,
  ) {}

  async connect(url: string): Promise<void> {
    const ws = new WebSocket(url.replace(/^http/, 'ws'), { localAddress: this.address });
    this.ws = ws;
    ws.on('error', () => undefined); // a SIGKILLed machine resets the socket: expected
    ws.on('message', (data) => this.#receive(JSON.parse(String(data)) as Received));
    ws.on('close', () => this.#wake());
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('unexpected-response', (_req, res) =>
        reject(new Error(`${this.name}: HTTP ${res.statusCode}`)),
      );
      ws.once('error', reject);
    });
    const joined = this.until(() => this.worker !== '', 'its first presence list');
    ws.send(JSON.stringify({ type: 'join', user: this.name, after: this.lastId }));
    await joined;
  }

  get open(): boolean {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  /** Sends `count` direct messages to `to`, one after another, each stored before the next. */
  async sendTo(to: string, from: number, count: number): Promise<void> {
    for (let k = from; k < from + count; k++) {
      const before = this.sent;
      this.ws?.send(JSON.stringify({ type: 'say', to, text: `${this.name}>${to}#${k}` }));
      await this.until(() => this.sent > before, `"sent" for ${k} to ${to}`);
    }
  }

  until(done: () => boolean, what: string, ms = WAIT_MS): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (!done()) return;
        this.#wakers.delete(check);
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.#wakers.delete(check);
        reject(new Error(`${this.name} (${this.worker}): no ${what} within ${ms} ms`));
      }, ms);
      this.#wakers.add(check);
      check();
    });
  }

  #receive(m: Received): void {
    if (this.worker === '' || m.type === 'presence') this.worker = m.worker;
    if (m.type === 'presence') this.online = m.online ?? [];
    if (m.type === 'sent') this.sent++;
    if (m.type === 'message' && m.id !== undefined) {
      this.direct.push({ id: m.id, text: m.text ?? '' });
      this.lastId = m.id;
      this.ws?.send(JSON.stringify({ type: 'ack', id: m.id }));
    }
    this.#wake();
  }

  #wake(): void {
    for (const wake of [...this.#wakers]) wake();
  }
}

/** 127.<1–250>.<…>.1: a different /24 for every client, all on the loopback interface. */
const addressOf = (i: number): string => `127.${(i % 250) + 1}.${Math.floor(i / 250) + 1}.1`;

const nginx = findNginx();
const redisMode = redisAvailability().mode;
const missing = [nginx === undefined ? 'nginx' : '', redisMode === 'run' ? '' : 'redis-server'].filter(
  Boolean,
);
if (missing.length > 0) {
  console.warn(
    `\n${'='.repeat(78)}\n  ${missing.join(' and ')} NOT FOUND: ${isCI() ? 'FAILING' : 'SKIPPING'} the ws-chat behind nginx test.\n  Install: apt-get install -y ${missing.join(' ')}\n${'='.repeat(78)}\n`,
  );
}
const describeNginx = missing.length === 0 || isCI() ? describe : describe.skip;

describeNginx('examples/ws-chat: three machines behind nginx (ip_hash)', () => {
  let redis: RedisServerHandle | undefined;
  let machines: ExampleHandle[] = [];
  let proxy: NginxHandle | undefined;
  const users = Array.from({ length: CLIENTS }, (_, i) => new User(`u${i}`, addressOf(i)));

  beforeAll(async () => {
    if (missing.length > 0) throw new Error(`${missing.join(' and ')} required under CI=true`);
    redis = await startRedis();
    if (redis === undefined) throw new Error('redis-server did not start');
    const env = {
      WORKERS: '2',
      REDIS_URL: redis.url,
      PRESENCE_HEARTBEAT_MS: String(HEARTBEAT_MS),
      TRUSTED_PROXIES: '127.0.0.1', // nginx: each supervisor routes by the X-Forwarded-For client
    };
    machines = await Promise.all(
      ['a', 'b', 'c'].map((name) => startExample('ws-chat', { env: { ...env, NAME: name } })),
    );
    proxy = await startNginx(machines.map((m) => new URL(m.url).host));
  }, 90_000);

  afterAll(async () => {
    for (const user of users) user.ws?.terminate();
    await proxy?.stop();
    killAllExamples();
    await redis?.stop();
  });

  it('loses no direct message and delivers none twice when a machine is SIGKILLed', async () => {
    const url = (proxy as NginxHandle).url;
    for (let i = 0; i < CLIENTS; i += 50)
      await Promise.all(users.slice(i, i + 50).map((u) => u.connect(url)));
    const machineOf = (u: User): string => u.worker.split('/')[0] as string;
    const perMachine = new Map<string, User[]>();
    for (const u of users) perMachine.set(machineOf(u), [...(perMachine.get(machineOf(u)) ?? []), u]);
    // ip_hash spread the 300 addresses over the three machines, and each machine's sticky router
    // (trusting nginx's X-Forwarded-For) over its two workers.
    expect([...perMachine.keys()].sort()).toEqual(['a', 'b', 'c']);
    expect(new Set(users.map((u) => u.worker)).size).toBe(6);
    const all = users.map((u) => u.name);
    // One bus subscription per machine (its primary's bridge), not one per worker.
    const admin = new Redis((redis as RedisServerHandle).url);
    const [, subscribers] = (await admin.pubsub('NUMSUB', 'loadstone:bridge')) as [string, number];
    admin.disconnect();
    expect(subscribers).toBe(3);
    await Promise.all(users.map((u) => u.until(() => u.online.length === CLIENTS, `all ${CLIENTS} online`)));

    const victims = perMachine.get('b') as User[];
    const survivors = users.filter((u) => machineOf(u) !== 'b');
    const senderOf = (j: number): User => survivors[j % survivors.length] as User;
    await Promise.all(victims.map((v, j) => senderOf(j).sendTo(v.name, 0, BEFORE)));
    await Promise.all(
      victims.map((v) => v.until(() => v.direct.length === BEFORE, 'the messages before the kill')),
    );

    const killedAt = Date.now();
    machines[1]?.killAll(); // SIGKILL: machine b's primary and both its workers, no goodbye
    await Promise.all(victims.map((v) => v.until(() => !v.open, 'its socket closed')));
    // Senders write to the victims while they are offline: the mailbox keeps it.
    const during = Promise.all(victims.map((v, j) => senderOf(j).sendTo(v.name, BEFORE, DURING)));
    const watchers = [perMachine.get('a')?.[0], perMachine.get('c')?.[0]] as User[];
    const gone = new Set(victims.map((v) => v.name));
    await Promise.all(
      watchers.map((w) => w.until(() => !w.online.some((name) => gone.has(name)), 'the victims offline')),
    );
    const offlineAfterMs = Date.now() - killedAt;
    await during;
    console.log(
      `ws-chat behind nginx: ${victims.length} users of machine b offline everywhere ${offlineAfterMs} ms after its SIGKILL (bound ${OFFLINE_BOUND_MS} ms + the 100 ms roster push)`,
    );
    expect(offlineAfterMs).toBeLessThan(OFFLINE_BOUND_MS + 5_000); // loose: a 2-core machine under load

    // They come back through nginx, which sends each address to a live machine.
    for (let i = 0; i < victims.length; i += 50) {
      await Promise.all(victims.slice(i, i + 50).map((v) => v.connect(url)));
    }
    await Promise.all(
      victims.map((v) => v.until(() => v.direct.length >= BEFORE + DURING, 'every message sent meanwhile')),
    );
    await new Promise((resolve) => setTimeout(resolve, 500)); // a duplicate would show by now
    for (const [j, v] of victims.entries()) {
      expect(machineOf(v)).not.toBe('b');
      const expected = Array.from(
        { length: BEFORE + DURING },
        (_, k) => `${senderOf(j).name}>${v.name}#${k}`,
      );
      expect(v.direct.map((m) => m.text)).toEqual(expected); // all, in order, once
      expect(new Set(v.direct.map((m) => m.id)).size).toBe(expected.length);
    }
    await Promise.all(
      watchers.map((w) => w.until(() => w.online.length === CLIENTS, 'everyone online again')),
    );
    expect(new Set(watchers[0]?.online)).toEqual(new Set(all));
  }, 180_000);
});
