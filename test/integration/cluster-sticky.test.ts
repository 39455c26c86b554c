// Sticky sessions with real processes: the primary hands each connection to the worker that owns
// the client's address. Run twice: with a hand-written primary (raw node:cluster + StickyRouter)
// and with ClusterSupervisor (`supervise(factory, { sticky: true })`).
import { once } from 'node:events';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { clientAddresses, FixturePrimary, type Ready, request } from '../fixtures/cluster/sticky-harness.js';

const WORKERS = 3;
const addresses = clientAddresses(16);

describe.each([
  ['a hand-written primary', './sticky-app.ts'],
  ['supervise({ sticky: true })', './sticky-supervised.ts'],
])('sticky sessions with real cluster workers, under %s', (_name, fixture) => {
  let primary: FixturePrimary;
  let ready: Ready;

  beforeAll(async () => {
    primary = FixturePrimary.start(fixture, { STICKY_WORKERS: String(WORKERS) });
    ready = await primary.next<Ready>((m) => m.kind === 'ready');
  });
  afterAll(async () => {
    await primary?.stop();
  });

  /** Which worker pid each address reaches, one fresh connection each. */
  async function owners(): Promise<Map<string, string>> {
    const result = new Map<string, string>();
    for (const address of addresses) result.set(address, (await request(ready.port, '/pid', address)).body);
    return result;
  }

  it('sends one address to one worker across 1,000 connections; addresses spread over all workers', async () => {
    const first = await owners();
    expect(new Set(first.values())).toEqual(new Set(Object.values(ready.slots).map(String)));
    const address = addresses[0] as string;
    const pids = new Set<string>();
    for (let batch = 0; batch < 50; batch++) {
      const replies = await Promise.all(
        Array.from({ length: 20 }, () => request(ready.port, '/pid', address)),
      );
      for (const reply of replies) pids.add(reply.body);
    }
    expect([...pids]).toEqual([first.get(address)]);
    expect(await owners()).toEqual(first);
  });

  it('keeps keep-alive on: many requests over one connection, one worker', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const address = addresses[1] as string;
    const replies = [];
    for (let i = 0; i < 50; i++) replies.push(await request(ready.port, '/pid', address, agent));
    agent.destroy();
    expect(new Set(replies.map((r) => r.body)).size).toBe(1);
    expect(replies.every((r) => r.headers.connection === 'keep-alive')).toBe(true);
  });

  it('keeps a WebSocket on the worker that owns its address', async () => {
    const address = addresses[2] as string;
    const owner = (await request(ready.port, '/pid', address)).body;
    const socket = new WebSocket(`ws://127.0.0.1:${ready.port}/`, { localAddress: address });
    await once(socket, 'open');
    const replies: string[] = [];
    for (let i = 0; i < 20; i++) {
      const reply = once(socket, 'message');
      socket.send('pid?');
      replies.push(String((await reply)[0]));
      // Meanwhile, other clients make new connections.
      await request(ready.port, '/pid', addresses[(i % 10) + 3]);
    }
    socket.close();
    await once(socket, 'close');
    expect(new Set(replies)).toEqual(new Set([owner]));
  });

  // Only the raw-cluster fixture can hold a slot down without replacing its worker at once.
  if (fixture === './sticky-app.ts')
    it('serves a down worker’s clients on the other workers, nobody else moving, until it is back', async () => {
      const before = await owners();
      const [slot, pid] = Object.entries(ready.slots)[1] as [string, number];
      const down = primary.fresh((m) => m.kind === 'down' && m.slot === slot);
      primary.send({ cmd: 'takeDown', slot });
      await down;
      const during = await owners();
      let moved = 0;
      for (const address of addresses) {
        if (before.get(address) === String(pid)) {
          expect(during.get(address)).not.toBe(String(pid));
          moved++;
        } else {
          expect(during.get(address)).toBe(before.get(address));
        }
      }
      expect(moved).toBeGreaterThan(0);
      const replaced = primary.fresh<{ pid: number }>((m) => m.kind === 'replaced' && m.slot === slot);
      primary.send({ cmd: 'revive', slot });
      const { pid: newPid } = await replaced;
      ready.slots[slot] = newPid;
      const after = await owners();
      for (const address of addresses) {
        expect(after.get(address)).toBe(
          before.get(address) === String(pid) ? String(newPid) : before.get(address),
        );
      }
    });

  it('moves back only a restarted worker’s clients', async () => {
    const before = await owners();
    const [slot, pid] = Object.entries(ready.slots)[0] as [string, number];
    const replaced = primary.fresh<{ pid: number }>((m) => m.kind === 'replaced' && m.slot === slot);
    primary.send({ cmd: 'kill', slot });
    const { pid: newPid } = await replaced;
    const after = await owners();
    let moved = 0;
    for (const address of addresses) {
      if (before.get(address) === String(pid)) {
        expect(after.get(address)).toBe(String(newPid));
        moved++;
      } else {
        expect(after.get(address)).toBe(before.get(address));
      }
    }
    expect(moved).toBeGreaterThan(0);
  });
});
