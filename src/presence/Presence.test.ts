import { hostname } from 'node:os';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { expectInvalidOption } from '../../test/helpers/expectInvalidOption.js';
import { partitionBus, settle } from '../../test/helpers/partitionBus.js';
import { InProcessBus } from '../core/InProcessBus.js';
import { Presence } from './Presence.js';

describe('Presence', () => {
  let bus: InProcessBus;
  const open: Presence[] = [];
  const presence = (options: Partial<ConstructorParameters<typeof Presence>[0]> = {}) => {
    const p = new Presence({ bus, heartbeatMs: 1_000, ...options });
    open.push(p);
    return p;
  };

  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'performance'] });
    bus = new InProcessBus();
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((p) => p.destroy()));
    await bus.close();
    vi.useRealTimers();
  });

  it('example: who is online, in every worker', async () => {
    // #region presence
    // In each worker: const presence = new Presence({ bus: new ClusterBus() }) (or a RedisBus across machines).
    const workerA = new Presence({ bus });
    const workerB = new Presence({ bus });
    workerB.on('online', (id, meta) => console.log(`${id} is online`, meta));
    await workerA.join('user:42', { name: 'Ada' }); // on connect
    await settle();
    workerB.isOnline('user:42'); // true
    workerB.list(); // [{ id: 'user:42', meta: { name: 'Ada' } }]
    await workerA.leave('user:42'); // on disconnect
    // #endregion presence
    open.push(workerA, workerB);
    await settle();
    expect(workerB.isOnline('user:42')).toBe(false);
  });

  it('shows a join everywhere, and an id held twice until both leave', async () => {
    const [a, b, c] = [presence(), presence(), presence()];
    const events: string[] = [];
    c.on('online', (id, meta) => events.push(`online ${id} ${JSON.stringify(meta)}`));
    c.on('offline', (id) => events.push(`offline ${id}`));
    await a.join('u1', { at: 'a' });
    await b.join('u1', { at: 'b' });
    await settle();
    expect(c.isOnline('u1')).toBe(true);
    expect(c.metas('u1')).toEqual(expect.arrayContaining([{ at: 'a' }, { at: 'b' }]));
    await a.leave('u1');
    await settle();
    expect(c.isOnline('u1')).toBe(true);
    await b.leave('u1');
    await settle();
    expect(c.isOnline('u1')).toBe(false);
    expect(events).toEqual(['online u1 {"at":"a"}', 'offline u1']);
  });

  it('counts joins in one process: each join needs its leave', async () => {
    const [a, b] = [presence(), presence()];
    await a.join('u');
    await a.join('u');
    await a.leave('u');
    await settle();
    expect(b.isOnline('u')).toBe(true);
    expect(a.stats().local).toBe(1);
    await a.leave('u');
    await a.leave('u'); // not joined any more: nothing
    await settle();
    expect(b.isOnline('u')).toBe(false);
  });

  it('applies joins and leaves of one turn in order', async () => {
    const [a, b] = [presence(), presence()];
    void a.join('u');
    void a.leave('u');
    void a.join('u', 'again');
    void a.join('v');
    await settle();
    expect(b.list()).toEqual([
      { id: 'u', meta: 'again' },
      { id: 'v', meta: null },
    ]);
  });

  it('tells a process that starts late who is already online', async () => {
    const a = presence();
    await Promise.all(Array.from({ length: 1_200 }, (_, i) => a.join(`user:${i}`)));
    await settle();
    const late = presence();
    await settle();
    expect(late.stats()).toMatchObject({ online: 1_200, peers: 1 });
    expect(late.isOnline('user:1199')).toBe(true);
  });

  it('repairs a view that missed messages at the next heartbeat (a healed partition)', async () => {
    const lossy = partitionBus(bus);
    const a = presence({ bus: lossy });
    const b = presence();
    await a.join('before');
    await settle();
    lossy.cut = true;
    await a.join('during');
    await a.leave('before');
    await settle();
    expect(b.list()).toEqual([{ id: 'before', meta: null }]);
    lossy.cut = false;
    vi.advanceTimersByTime(1_000); // a's heartbeat shows b it missed two changes
    await settle();
    expect(b.list()).toEqual([{ id: 'during', meta: null }]);
    expect(b.stats().resyncs).toBe(1);
  });

  it('drops the ids of a process that goes silent after ttlMs, and of one that closes at once', async () => {
    const lossy = partitionBus(bus);
    const silent = presence({ bus: lossy });
    const closing = presence();
    const reader = presence();
    await silent.join('s');
    await closing.join('c');
    await settle();
    lossy.cut = true; // a crashed machine: no goodbye, no heartbeats
    await closing.close();
    await settle();
    expect(reader.isOnline('c')).toBe(false);
    vi.advanceTimersByTime(3_000); // ttlMs = 3 × heartbeatMs
    expect(reader.isOnline('s')).toBe(true);
    vi.advanceTimersByTime(1_000);
    expect(reader.isOnline('s')).toBe(false);
  });

  it('drops the ids of a worker at its exit notice, matching its pid and host', async () => {
    const [worker, reader] = [presence(), presence()];
    await worker.join('u');
    await settle();
    await bus.publish('loadstone:worker:exited', {
      pid: 999_999,
      slot: '0',
      reason: 'crashed',
      code: null,
      signal: 'SIGKILL',
    });
    await settle();
    expect(reader.isOnline('u')).toBe(true); // another pid
    await bus.publish('loadstone:worker:exited', {
      pid: process.pid,
      host: `not-${hostname()}`,
      slot: '0',
      reason: 'crashed',
      code: null,
      signal: 'SIGKILL',
    });
    await settle();
    expect(reader.isOnline('u')).toBe(true); // the same pid on another machine (a bridged notice)
    await bus.publish('loadstone:worker:exited', {
      pid: process.pid,
      host: hostname(),
      slot: '0',
      reason: 'crashed',
      code: null,
      signal: 'SIGKILL',
    });
    await settle();
    expect(reader.isOnline('u')).toBe(false);
    expect(worker.isOnline('u')).toBe(true); // a process never drops its own
  });

  it('treats ids as data, and ignores malformed messages', async () => {
    const [a, b] = [presence(), presence()];
    for (const id of ['__proto__', 'constructor', 'toString']) await a.join(id);
    for (const junk of [
      null,
      'x',
      [],
      { t: 'j' },
      { o: 'x', pid: 1, host: 'h', t: 'j', v: 1, e: [[5, 1]] },
    ]) {
      await bus.publish('loadstone:presence', junk);
    }
    await settle();
    expect(b.list().map((e) => e.id)).toEqual(['__proto__', 'constructor', 'toString']);
    expect(b.stats().malformed).toBe(5);
  });

  it('caps entries: a local join past maxEntries throws, a remote one is dropped and counted', async () => {
    const [a, b] = [presence(), presence({ maxEntries: 2 })];
    await a.join('1');
    await a.join('2');
    await a.join('3');
    await settle();
    expect(b.stats()).toMatchObject({ entries: 2, dropped: 1 });
    await expect(b.join('mine')).rejects.toMatchObject({ code: 'ERR_LOADSTONE_CAPACITY' });
  });

  it('caps bytes: long metas fill maxBytes, and a join or a larger meta past it is refused', async () => {
    const meta = 'm'.repeat(1_000); // 160 + 2 + 2,004 bytes as counted
    const [a, b] = [presence(), presence({ maxBytes: 5_000 })];
    await a.join('1', meta);
    await a.join('2', meta);
    await a.join('3', meta);
    await settle();
    expect(b.stats()).toMatchObject({ entries: 2, dropped: 1, bytes: 2 * 2_166 });
    expect(b.list().map((e) => e.id)).toEqual(['1', '2']);
    await expect(b.join('mine', meta)).rejects.toMatchObject({ code: 'ERR_LOADSTONE_CAPACITY' });
    await b.join('small'); // 160 + 10 + 8 bytes still fit
    await expect(b.join('small', meta)).rejects.toMatchObject({ code: 'ERR_LOADSTONE_CAPACITY' });
    expect(b.metas('small')).toEqual([null]);
    expect(b.stats()).toMatchObject({ local: 1, dropped: 1 });
  });

  it('refuses bad ids and metas, and calls after close', async () => {
    const a = presence();
    await expect(a.join('')).rejects.toMatchObject({ code: 'ERR_LOADSTONE_INVALID_OPTION' });
    await expect(a.join('x'.repeat(1_025))).rejects.toMatchObject({ code: 'ERR_LOADSTONE_INVALID_OPTION' });
    await expect(a.join('u', { big: 'x'.repeat(5_000) })).rejects.toMatchObject({
      code: 'ERR_LOADSTONE_INVALID_OPTION',
    });
    await expect(a.join('u', { n: Number.NaN } as never)).rejects.toMatchObject({
      code: 'ERR_LOADSTONE_INVALID_OPTION',
    });
    await a.close();
    await expect(a.join('u')).rejects.toMatchObject({ code: 'ERR_LOADSTONE_CLOSED' });
    expect(a.closed).toBe(true);
  });

  it.each([
    ['no bus', {}, 'options.bus', 'a Bus'],
    ['a heartbeat under 10 ms', { heartbeatMs: 5 }, 'options.heartbeatMs', 'an integer'],
    ['a ttl under two heartbeats', { heartbeatMs: 1_000, ttlMs: 1_500 }, 'options.ttlMs', 'an integer'],
    ['maxEntries 0', { maxEntries: 0 }, 'options.maxEntries', 'an integer'],
    ['maxBytes 0', { maxBytes: 0 }, 'options.maxBytes', 'an integer'],
    ['an unknown option', { heartbeat: 1 }, 'options.heartbeat', 'absent'],
  ])('refuses %s with a coded error', (_name, options, option, expected) => {
    const withBus = 'bus' in options || _name === 'no bus' ? options : { bus, ...options };
    expectInvalidOption(() => new Presence(withBus as never), option, expected);
  });
});

describe('Presence and the cluster supervisor', () => {
  it('listens on the channel the supervisor announces worker exits on', async () => {
    const { WORKER_EXITED_CHANNEL } = await import('../cluster/index.js');
    expect(WORKER_EXITED_CHANNEL).toBe('loadstone:worker:exited');
  });
});
