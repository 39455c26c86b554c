// ClusterBus with real processes: a message published in one worker reaches every other
// worker and the primary; malformed bus messages from a worker are counted and dropped. Run with
// a hand-written primary (raw node:cluster + ClusterBusRelay) and with ClusterSupervisor.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  clientAddresses,
  FixturePrimary,
  type Got,
  type Ready,
  request,
} from '../fixtures/cluster/sticky-harness.js';

const WORKERS = 3;

type Stats = {
  relay: { relayed: number; dropped: number; droppedByReason: Record<string, number> };
  supervisor?: { droppedMessages: number };
};

describe.each([
  ['a hand-written primary', './sticky-app.ts'],
  ['supervise({ sticky: true })', './sticky-supervised.ts'],
])('ClusterBus across real cluster workers, under %s', (_name, fixture) => {
  let primary: FixturePrimary;
  let ready: Ready;
  let everyone: number[];
  /** A client address that reaches each worker pid (sticky routing by address). */
  const addressOf = new Map<number, string>();

  beforeAll(async () => {
    primary = FixturePrimary.start(fixture, { STICKY_WORKERS: String(WORKERS) });
    ready = await primary.next<Ready>((m) => m.kind === 'ready');
    everyone = [...Object.values(ready.slots), primary.child.pid as number];
    for (const address of clientAddresses(32)) {
      const pid = Number((await request(ready.port, '/pid', address)).body);
      if (!addressOf.has(pid)) addressOf.set(pid, address);
    }
    expect(addressOf.size).toBe(WORKERS);
  });
  afterAll(async () => {
    await primary?.stop();
  });

  /** Resolves with the pids that received `message`, once all of `pids` have. */
  function receivers(message: unknown, pids: number[]): Promise<number[]> {
    const waits = pids.map((pid) =>
      primary.next<Got>(
        (m) =>
          m.kind === 'got' &&
          (m as Got).pid === pid &&
          JSON.stringify((m as Got).message) === JSON.stringify(message),
      ),
    );
    return Promise.all(waits).then((got) => got.map((g) => g.pid));
  }

  it('delivers a message published in one worker to every worker and the primary', async () => {
    for (const [pid, address] of addressOf) {
      const message = { from: pid, nested: [1, 'two', { three: null }] };
      const got = receivers(message, everyone);
      const reply = await request(
        ready.port,
        `/publish?m=${encodeURIComponent(JSON.stringify(message))}`,
        address,
      );
      expect(reply.body).toBe(String(pid));
      expect((await got).sort()).toEqual([...everyone].sort());
    }
  });

  it('delivers in publish order from one worker', async () => {
    const [pid, address] = [...addressOf][0] as [number, string];
    const messages = Array.from({ length: 30 }, (_, i) => ({ order: i, by: pid }));
    // Sequential publishes from one worker: every receiver must see them in that order.
    for (const message of messages) {
      await request(ready.port, `/publish?m=${encodeURIComponent(JSON.stringify(message))}`, address);
    }
    await receivers(messages.at(-1), everyone);
    for (const receiver of everyone) {
      const seen = primary.messages
        .filter((m): m is Got => m.kind === 'got' && (m as Got).pid === receiver)
        .map((m) => m.message as { order?: number; by?: number })
        .filter((m) => m.by === pid && typeof m.order === 'number')
        .map((m) => m.order);
      expect(seen).toEqual(messages.map((m) => m.order));
    }
  });

  it('delivers a message published in the primary to every worker', async () => {
    const message = { from: 'primary' };
    const got = receivers(message, everyone);
    primary.send({ cmd: 'publish', channel: 'test', message });
    expect((await got).sort()).toEqual([...everyone].sort());
  });

  it('counts and drops malformed bus messages from a worker; the primary and bus carry on', async () => {
    const [pid, address] = [...addressOf][1] as [number, string];
    const statsBefore = primary.fresh<Stats>((m) => m.kind === 'stats');
    primary.send({ cmd: 'stats' });
    const beforeStats = await statsBefore;
    const before = beforeStats.relay;
    const sent = Number((await request(ready.port, '/malformed', address)).body);
    // A valid message sent after the malformed ones: once it has arrived everywhere, the
    // malformed ones (earlier on the same channel) have been handled.
    const marker = { after: 'malformed', pid };
    const got = receivers(marker, everyone);
    await request(ready.port, `/publish?m=${encodeURIComponent(JSON.stringify(marker))}`, address);
    await got;
    const statsAfter = primary.fresh<Stats>((m) => m.kind === 'stats');
    primary.send({ cmd: 'stats' });
    const afterStats = await statsAfter;
    const after = afterStats.relay;
    expect(after.dropped - before.dropped).toBe(sent);
    if (afterStats.supervisor !== undefined) {
      expect(afterStats.supervisor.droppedMessages - (beforeStats.supervisor?.droppedMessages ?? 0)).toBe(
        sent,
      );
    }
    expect(after.relayed - before.relayed).toBe(1);
    const leaked = primary.messages.filter(
      (m) =>
        m.kind === 'got' &&
        (m as Got).pid !== pid &&
        ['empty channel', 'extra', 'spoofed deliver', 'numeric channel'].includes(String((m as Got).message)),
    );
    expect(leaked).toEqual([]);
    expect(primary.child.exitCode).toBe(null);
  });
});
