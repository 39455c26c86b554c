// Bounded-load sticky routing with real workers: `supervise(…, { sticky: { balanceFactor: 1.25 } })`.
// Thirty keep-alive connections from one address (one key) spread so that no worker holds more
// than ⌈1.25 × 30 / 3⌉; the workers report the closes over IPC, and the key returns to its owner.
import type net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FixturePrimary, type Ready, request } from '../fixtures/cluster/sticky-harness.js';
import { openKeepAlive } from '../helpers/stickyRouter.js';
import { until } from '../helpers/until.js';

describe('sticky sessions with bounded loads, real workers', () => {
  let primary: FixturePrimary;
  let ready: Ready;

  beforeAll(async () => {
    primary = FixturePrimary.start('./sticky-supervised.ts', { STICKY_WORKERS: '3', STICKY_BALANCE: '1.25' });
    ready = await primary.next<Ready>((m) => m.kind === 'ready');
  });
  afterAll(async () => {
    await primary?.stop();
  });

  it('spreads one key over the workers past its share, and brings it back when the crowd leaves', async () => {
    const open: { pid: string; socket: net.Socket }[] = [];
    for (let i = 0; i < 30; i++) {
      const { body, socket } = await openKeepAlive(ready.port, '/pid');
      open.push({ pid: body, socket });
    }
    const counts = new Map<string, number>();
    for (const { pid } of open) counts.set(pid, (counts.get(pid) ?? 0) + 1);
    const owner = open[0]?.pid as string;
    expect(counts.size).toBe(3);
    for (const n of counts.values()) expect(n).toBeLessThanOrEqual(Math.ceil((1.25 * 30) / 3));
    expect(Math.max(...counts.values())).toBe(counts.get(owner));
    for (const { socket } of open) socket.destroy();
    // The workers report closes every 50 ms; then a new connection of the key goes to its owner.
    await until(async () => (await request(ready.port, '/pid', '127.0.0.1')).body === owner, 10_000, 100);
  });
});
