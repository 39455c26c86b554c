// PriorityTaskQueue at its edges, from the survivors of its first mutation run (66.2 %): idle
// means nothing queued and nothing running, the events of a queue that never had a task, maxQueued
// at 0, the aging arithmetic, destroy's state, the load signal kept after the queue idles, and
// waits that are aborted.
import { describe, expect, it } from 'vitest';
import { gate } from '../../test/helpers/gate.js';
import { ManualLoadSignal } from '../core/ManualLoadSignal.js';
import { FakeClock } from '../testing/FakeClock.js';
import { PriorityTaskQueue } from './PriorityTaskQueue.js';

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('PriorityTaskQueue at its edges', () => {
  it('is idle only once nothing is queued and nothing runs', async () => {
    const queue = new PriorityTaskQueue({ concurrency: 2 });
    const running = gate();
    const task = queue.add(() => running.promise);
    let idle = false;
    const idled: string[] = [];
    queue.on('queue:idled', () => idled.push('idled'));
    const waiting = queue.onIdle().then(() => {
      idle = true;
    });
    await flush();
    expect([queue.size, queue.pending, idle, idled]).toEqual([0, 1, false, []]);
    running.open();
    await task;
    await waiting;
    expect([idle, idled]).toEqual([true, ['idled']]);
  });

  it('announces nothing for a queue that never had a task', async () => {
    const queue = new PriorityTaskQueue();
    const events: string[] = [];
    queue.on('queue:emptied', () => events.push('emptied'));
    queue.on('queue:idled', () => events.push('idled'));
    queue.concurrency = 3; // drains: nothing to start
    queue.pause();
    queue.resume();
    await queue.destroy();
    expect(events).toEqual([]);
  });

  it('with maxQueued 0 starts a task while a slot is free and refuses one that would wait', async () => {
    const queue = new PriorityTaskQueue({ concurrency: 1, maxQueued: 0 });
    const running = gate();
    const first = queue.add(() => running.promise);
    expect(queue.pending).toBe(1);
    await expect(queue.add(async () => 2)).rejects.toMatchObject({ code: 'ERR_LOADSTONE_CAPACITY' });
    running.open();
    await first;
    queue.pause();
    await expect(queue.add(async () => 3)).rejects.toMatchObject({ code: 'ERR_LOADSTONE_CAPACITY' });
    expect(queue.stats().rejectedFull).toBe(2);
  });

  it('ages by one level per interval waited: an old low task passes a fresh high one, not a fresh critical one', async () => {
    const clock = new FakeClock();
    const queue = new PriorityTaskQueue({ aging: { intervalMs: 100 }, clock, paused: true });
    const order: string[] = [];
    const tasks = [queue.add(async () => void order.push('old low'), { priority: 'low' })];
    clock.advance(250); // 2.5 levels: above high, below critical
    tasks.push(queue.add(async () => void order.push('fresh high'), { priority: 'high' }));
    tasks.push(queue.add(async () => void order.push('fresh critical'), { priority: 'critical' }));
    queue.resume();
    await Promise.all(tasks);
    expect(order).toEqual(['fresh critical', 'old low', 'fresh high']);
  });

  it('is closed once destroyed, refuses tasks, and a second destroy changes nothing', async () => {
    const queue = new PriorityTaskQueue();
    await queue.destroy('first');
    expect(queue.closed).toBe(true);
    await expect(queue.add(async () => 1)).rejects.toMatchObject({ code: 'ERR_LOADSTONE_CLOSED' });
    await queue.destroy('second');
    const paused = new PriorityTaskQueue({ paused: true });
    const queued = paused.add(async () => 1);
    await paused.destroy('stop');
    await expect(queued).rejects.toMatchObject({ code: 'ERR_LOADSTONE_CLOSED', cause: 'stop' });
    await paused.destroy('again');
    expect(paused.stats()).toMatchObject({ queued: 0, running: 0, closed: true });
  });

  it('keeps following its load signal after it has gone idle, and reports each change once', async () => {
    const load = new ManualLoadSignal();
    const queue = new PriorityTaskQueue({
      loadSignal: load,
      shed: { minPriority: 'high', degradedConcurrency: 1 },
    });
    const changes: string[] = [];
    queue.on('load:changed', ({ status }) => changes.push(status));
    await queue.add(async () => 1);
    await queue.onIdle();
    load.set('critical');
    load.set('critical');
    await expect(queue.add(async () => 2, { priority: 'low' })).rejects.toMatchObject({
      code: 'ERR_LOADSTONE_SHED',
    });
    queue.concurrency = 5; // applies the load again, silently
    load.set('healthy');
    expect(changes).toEqual(['critical', 'healthy']);
    await queue.close();
  });

  it('counts a task refused for an aborted signal, and ends a wait whose signal aborts', async () => {
    const queue = new PriorityTaskQueue({ paused: true });
    const reason = new Error('gone');
    await expect(queue.add(async () => 1, { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    expect(queue.stats().aborted).toBe(1);
    void queue.add(async () => 1);
    const first = new AbortController();
    const second = new AbortController();
    const waits = [queue.onEmpty({ signal: first.signal }), queue.onEmpty({ signal: second.signal })];
    const third = queue.onEmpty();
    second.abort(reason);
    await expect(waits[1]).rejects.toBe(reason);
    queue.resume();
    await Promise.all([waits[0], third]); // the first and third still resolve
    const below = new AbortController();
    const sized = queue.onSizeLessThan(1, { signal: below.signal });
    await sized; // nothing queued: at once
    await queue.close();
  });
});
