// Bounded loads: a crowd behind one address (one key) spreads over the workers once its own
// worker holds its share, and comes back to it when the crowd leaves.
import type net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { expectInvalidOption } from '../../../test/helpers/expectInvalidOption.js';
import { closeRouters, FakeWorker, get, openKeepAlive, start } from '../../../test/helpers/stickyRouter.js';
import { StickyRouter } from './StickyRouter.js';

afterEach(closeRouters);

const countBy = (values: string[]) => {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return counts;
};

describe('StickyRouter with balanceFactor', () => {
  it('keeps each worker within ⌈factor × mean⌉ open connections, even for one key', async () => {
    const router = new StickyRouter({ balanceFactor: 1.25 });
    const port = await start(router, [new FakeWorker('a'), new FakeWorker('b'), new FakeWorker('c')]);
    const open: { worker: string | undefined; socket: net.Socket }[] = [];
    for (let i = 0; i < 30; i++) open.push(await openKeepAlive(port)); // all from 127.0.0.1: one key
    const counts = countBy(open.map((c) => String(c.worker)));
    const owner = open[0]?.worker as string;
    expect(counts.size).toBe(3);
    for (const n of counts.values()) expect(n).toBeLessThanOrEqual(Math.ceil((1.25 * 30) / 3));
    expect(Math.max(...counts.values())).toBe(counts.get(owner));
    expect(router.stats().overflowed).toBe(30 - (counts.get(owner) as number));

    // The crowd leaves: once the workers have reported the closes, the key is back on its owner.
    for (const c of open) c.socket.destroy();
    const deadline = Date.now() + 5_000;
    while (Object.values(router.stats().openPerSlot).some((n) => n > 0) && Date.now() < deadline)
      await sleep(20);
    expect(Object.values(router.stats().openPerSlot)).toEqual([0, 0, 0]);
    expect((await get(port)).worker).toBe(owner);
  });

  it('without it, one key keeps every connection on one worker', async () => {
    const router = new StickyRouter();
    const port = await start(router, [new FakeWorker('a'), new FakeWorker('b'), new FakeWorker('c')]);
    const open: { worker: string | undefined; socket: net.Socket }[] = [];
    for (let i = 0; i < 10; i++) open.push(await openKeepAlive(port));
    expect(countBy(open.map((c) => String(c.worker))).size).toBe(1);
    for (const c of open) c.socket.destroy();
    expect(router.stats().openPerSlot).toEqual({ w0: 0, w1: 0, w2: 0 }); // not tracked
  });

  it('ignores a malformed close report and refuses a bad factor', () => {
    const router = new StickyRouter({ balanceFactor: 2 });
    const worker = new FakeWorker('a');
    router.setWorker('w0', worker.asWorker);
    for (const bad of [0, -1, 1.5, '3', undefined])
      expect(router.connectionsClosed(worker.asWorker, bad)).toBe(false);
    expect(router.connectionsClosed(worker.asWorker, 5)).toBe(true);
    expect(router.stats().openPerSlot).toEqual({ w0: 0 }); // never below zero
    for (const factor of [0.5, 101, Number.NaN]) {
      expectInvalidOption(
        () => new StickyRouter({ balanceFactor: factor }),
        'options.balanceFactor',
        'a finite number',
      );
    }
  });
});
