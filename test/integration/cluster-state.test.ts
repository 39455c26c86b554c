// Cluster-wide state with real processes (#17): a supervised 2-worker HTTP server whose workers
// share one rate limit and one lock table through the primary (test/fixtures/cluster/state-app.ts),
// and the worker lifecycle notices on the cluster bus. Real HTTP on 127.0.0.1, fresh connections,
// so the cluster spreads requests over both workers.
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FixturePrimary, request } from '../fixtures/cluster/sticky-harness.js';
import { until } from '../helpers/until.js';

type Ready = { kind: 'ready'; port: number; workers: number[] };
type Notice = { kind: 'notice'; channel: string; notice: Record<string, unknown> };
type Stats = {
  kind: 'stats';
  state: { dropped: number; locks: number; permits: number; permitWaiters: number; rateLimitKeys: number };
};

describe('cluster-wide state across real workers', () => {
  let primary: FixturePrimary;
  let port: number;

  beforeAll(async () => {
    primary = FixturePrimary.start('./state-app.ts');
    port = (await primary.next<Ready>((m) => m.kind === 'ready')).port;
  });
  afterAll(async () => {
    await primary?.stop();
  });

  /** `count` GETs of `path`, `concurrency` at a time, each on a fresh connection. */
  async function hammer(path: string, count: number, concurrency = 20) {
    const replies: { status: number; pid: number }[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < count) {
          next++;
          const reply = await request(port, path);
          replies.push({ status: reply.status, pid: Number(reply.headers['x-pid']) });
        }
      }),
    );
    return replies;
  }

  /** A GET of `path` answered by `pid` (fresh connections until that worker takes one). */
  async function requestFrom(pid: number, path: string) {
    const only = `${path}${path.includes('?') ? '&' : '?'}only=${pid}`;
    for (let attempt = 0; attempt < 50; attempt++) {
      // A connection handed to a worker at the moment it is killed is never answered: retry it.
      const reply = await Promise.race([request(port, only), sleep(2_000)]);
      if (reply !== undefined && reply.status !== 421) return reply;
    }
    throw new Error(`worker ${pid} took none of 50 connections`);
  }

  it('limit: 100 allows exactly 100 of 600 requests spread over both workers', async () => {
    const replies = await hammer('/limit', 600);
    const count = (status: number) => replies.filter((r) => r.status === status).length;
    expect(count(200)).toBe(100);
    expect(count(429)).toBe(500);
    expect(count(503)).toBe(0); // not one degraded decision
    const allowedBy = new Set(replies.filter((r) => r.status === 200).map((r) => r.pid));
    expect(allowedBy.size).toBe(2);
  });

  it('answers a burst of more decisions in one turn than one IPC message carries', async () => {
    const reply = await request(port, '/burst');
    expect(reply.body).toBe('12000');
    // Its 100 keys stay far below their limit: decided on the workers' shares, none in the
    // primary, whose table holds at most the key the test above took to its limit.
    primary.send({ cmd: 'stats' });
    expect((await primary.fresh<Stats>((m) => m.kind === 'stats')).state.rateLimitKeys).toBeLessThanOrEqual(
      1,
    );
  });

  it('slow-down: counts every call of a key once for the machine, whichever worker takes it', async () => {
    const replies: { body: string; pid: number }[] = [];
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (replies.length < 40) {
          const reply = await request(port, '/slow');
          replies.push({ body: reply.body, pid: Number(reply.headers['x-pid']) });
        }
      }),
    );
    const used = replies.map((r) => Number(r.body.split(' ')[0])).sort((a, b) => a - b);
    expect(used).toEqual(Array.from({ length: used.length }, (_, i) => i + 1));
    for (const r of replies) {
      const [n, delayMs] = r.body.split(' ').map(Number) as [number, number];
      expect(delayMs).toBe(Math.max(0, n - 5));
    }
    expect(new Set(replies.map((r) => r.pid)).size).toBe(2);
  });

  it('gives a lock to one worker of the machine, and frees it when that worker is killed', async () => {
    const workers = (await primary.next<Ready>((m) => m.kind === 'ready')).workers;
    const [holder, other] = workers as [number, number];
    const taken = await requestFrom(holder, '/lock?key=report:7');
    expect(taken.status).toBe(200);
    expect((await requestFrom(other, '/lock?key=report:7')).status).toBe(409);
    expect((await requestFrom(holder, '/lock?key=report:7')).status).toBe(409);

    const exited = primary.fresh<Notice>(
      (m) =>
        m.kind === 'notice' && m.channel === 'loadstone:worker:exited' && (m as Notice).notice.pid === holder,
    );
    const online = primary.fresh<Notice>(
      (m) => m.kind === 'notice' && m.channel === 'loadstone:worker:online',
    );
    const killedAt = performance.now();
    process.kill(holder, 'SIGKILL');
    const notice = await exited;
    // The primary frees the dead worker's locks before it announces the exit.
    expect((await requestFrom(other, '/lock?key=report:7')).status).toBe(200);
    const freedMs = performance.now() - killedAt;
    expect(notice.notice).toEqual({
      pid: holder,
      host: hostname(),
      slot: expect.any(String),
      reason: 'crashed',
      code: null,
      signal: 'SIGKILL',
    });
    // Generous for a loaded 2-core machine; the bound is one second (measured: tens of ms).
    expect(freedMs).toBeLessThan(5_000);
    console.log(
      `cluster-state: a SIGKILLed worker's lock was free again ${freedMs.toFixed(0)} ms after the kill`,
    );
    const replacement = (await online).notice;
    expect(replacement).toEqual({ pid: expect.any(Number), host: hostname(), slot: notice.notice.slot });
    expect(replacement.pid).not.toBe(holder);
  });

  async function stats() {
    primary.send({ cmd: 'stats' });
    return (await primary.fresh<Stats>((m) => m.kind === 'stats')).state;
  }

  it('keeps the pools of every worker within one budget, and gives a killed worker’s permits to a waiting one', async () => {
    // The lock test replaced a worker: ask who serves now.
    const [a, b] = await liveWorkers();
    expect((await requestFrom(a, '/pool/hold?n=3')).status).toBe(200);
    expect(await stats()).toMatchObject({ permits: 3, permitWaiters: 0 });
    const waiting = requestFrom(b, '/pool/hold?n=1');
    await until(async () => (await stats()).permitWaiters === 1, 10_000, 50);
    const exited = primary.fresh<Notice>(
      (m) => m.kind === 'notice' && m.channel === 'loadstone:worker:exited' && (m as Notice).notice.pid === a,
    );
    const killedAt = performance.now();
    process.kill(a, 'SIGKILL');
    await exited;
    expect((await waiting).status).toBe(200);
    console.log(
      `cluster-state: a SIGKILLed worker's pool permit reached the waiting worker ${(performance.now() - killedAt).toFixed(0)} ms after the kill`,
    );
    expect(await stats()).toMatchObject({ permits: 1, permitWaiters: 0 });
  });

  it('shows a user joined in one worker as online in the other, and offline once that worker is killed', async () => {
    const [a, b] = await liveWorkers();
    const joined = await requestFrom(a, '/presence/join?id=user:7');
    expect(joined.body).toBe('');
    expect(joined.status).toBe(200);
    await until(async () => (await requestFrom(b, '/presence/online?id=user:7')).body === 'true', 10_000, 20);
    const offline = primary.fresh((m) => m.kind === 'offline' && (m as { id?: string }).id === 'user:7');
    const killedAt = performance.now();
    process.kill(a, 'SIGKILL');
    await offline; // the primary's Presence: a bus subscriber like any worker's
    // The exit notice, not the 15 s heartbeat expiry, took it offline.
    const offlineMs = performance.now() - killedAt;
    expect(offlineMs).toBeLessThan(5_000);
    console.log(
      `cluster-state: a SIGKILLed worker's user was offline ${offlineMs.toFixed(0)} ms after the kill`,
    );
    // And in the other worker (asked over HTTP, which may first meet the dead worker's socket).
    await until(
      async () => (await requestFrom(b, '/presence/online?id=user:7')).body === 'false',
      10_000,
      20,
    );
  });

  /** The two pids answering now (a replaced worker's successor may still be starting). */
  async function liveWorkers(): Promise<[number, number]> {
    let seen = new Set<number>();
    await until(
      async () => {
        seen = new Set<number>();
        for (let i = 0; i < 20 && seen.size < 2; i++)
          seen.add(Number((await request(port, '/')).headers['x-pid']));
        return seen.size === 2;
      },
      20_000,
      50,
    );
    return [...seen] as [number, number];
  }

  it('drops malformed state messages from a worker and keeps answering', async () => {
    primary.send({ cmd: 'stats' });
    const before = (await primary.fresh<Stats>((m) => m.kind === 'stats')).state;
    expect((await request(port, '/malformed')).status).toBe(200);
    expect((await request(port, '/lock?key=after-malformed')).status).toBe(200);
    primary.send({ cmd: 'stats' });
    const after = (await primary.fresh<Stats>((m) => m.kind === 'stats')).state;
    // `items` not an array is not a state:calls message (dropped by the supervisor); the call
    // without an id is dropped by the host; a spoofed state:replies is not the primary's to take.
    expect(after.dropped - before.dropped).toBe(1);
    expect(after.locks).toBe(before.locks + 1);
  });
});
