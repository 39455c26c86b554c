// Presence's protocol one message at a time: a spy publishes on the channel as another process
// would, and reads what the instances publish.
import { hostname } from 'node:os';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { partitionBus, settle } from '../../test/helpers/partitionBus.js';
import { InProcessBus } from '../core/InProcessBus.js';
import type { JsonValue } from '../core/Json.js';
import { Presence } from './Presence.js';

describe('Presence, message by message', () => {
  let bus: InProcessBus;
  /** Everything published on the presence channel, as sent. */
  let seen: Record<string, JsonValue>[];
  const open: Presence[] = [];
  const presence = (options: Partial<ConstructorParameters<typeof Presence>[0]> = {}) => {
    const p = new Presence({ bus, heartbeatMs: 1_000, ...options });
    open.push(p);
    return p;
  };
  const spy = { o: 'spy/1/x', pid: 4_242, host: hostname() };
  const say = (message: Record<string, JsonValue>) =>
    bus.publish('loadstone:presence', { ...spy, ...message });
  /** The origin of `p`, from the query it publishes when it starts. */
  const originOf = async (p: Presence) => {
    await settle();
    return seen.filter((m) => m.t === 'q' && m.to === '*')[open.indexOf(p)]?.o as string;
  };

  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'performance'] });
    bus = new InProcessBus();
    seen = [];
    bus.subscribe('loadstone:presence', (m) => seen.push(m as Record<string, JsonValue>));
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((p) => p.destroy()));
    await bus.close();
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  it('updates the meta of an id joined again, here and elsewhere', async () => {
    const [a, b] = [presence(), presence()];
    await a.join('u', 1);
    await a.join('u', 2);
    await settle();
    expect(a.metas('u')).toEqual([2]);
    expect(b.metas('u')).toEqual([2]);
    expect(a.stats().local).toBe(1);
  });

  it('accepts a meta of exactly 4 KiB as JSON', async () => {
    const a = presence();
    await a.join('u', 'x'.repeat(4_094));
    await expect(a.join('v', 'x'.repeat(4_095))).rejects.toMatchObject({
      option: 'meta',
      message: 'Expected `meta` to be at most 4096 bytes as JSON, got `"4097 bytes"` (string)',
    });
  });

  it('does not count a refused local join as dropped, nor publish it', async () => {
    const [a, b] = [presence({ maxEntries: 1 }), presence()];
    await a.join('x');
    await expect(a.join('y')).rejects.toMatchObject({
      code: 'ERR_LOADSTONE_CAPACITY',
      message: 'presence entries is full (limit 1)',
    });
    await settle();
    expect(a.stats()).toMatchObject({ dropped: 0, local: 1, entries: 1 });
    expect(a.isOnline('y')).toBe(false);
    expect(b.list()).toEqual([{ id: 'x', meta: null }]);
  });

  it('refuses a bad id to leave, and leaves after close', async () => {
    const a = presence();
    await expect(a.leave('')).rejects.toMatchObject({
      option: 'id',
      message: 'Expected `id` to be a string of 1 to 1024 characters, got `""` (string)',
    });
    await a.close();
    await expect(a.leave('u')).rejects.toMatchObject({
      code: 'ERR_LOADSTONE_CLOSED',
      message: 'Presence is closed',
    });
  });

  it('publishes nothing for a leave of an id it does not hold, nor for all but the last leave', async () => {
    const a = presence();
    await a.join('u');
    await a.join('u');
    await settle();
    const before = seen.length;
    await a.leave('v');
    await a.leave('u');
    await settle();
    expect(seen.length).toBe(before);
    await a.leave('u');
    await settle();
    expect(seen.slice(before).map((m) => [m.t, m.ids])).toEqual([['l', ['u']]]);
  });

  it('counts the peers it hears from, and forgets one that says goodbye', async () => {
    const [a, b, c] = [presence(), presence(), presence()];
    await settle();
    expect(a.stats().peers).toBe(2);
    await c.close();
    await settle();
    expect(a.stats().peers).toBe(1);
    expect(b.stats()).toMatchObject({ peers: 1, online: 0, entries: 0, resyncs: 0, malformed: 0 });
  });

  it('destroy: stops at once and says no goodbye, so others keep its ids', async () => {
    const [a, b] = [presence(), presence()];
    const offline: string[] = [];
    a.on('offline', (id) => offline.push(id));
    await a.join('u');
    await settle();
    await a.destroy();
    await settle();
    expect(a.closed).toBe(true);
    expect(a.list()).toEqual([]);
    expect(a.stats()).toMatchObject({ local: 0, entries: 0 });
    expect(offline).toEqual([]); // a closed view empties itself silently
    expect(b.isOnline('u')).toBe(true);
    expect(seen.filter((m) => m.t === 'x')).toEqual([]);
    vi.advanceTimersByTime(5_000);
    expect(seen.filter((m) => m.o === seen[0]?.o && m.t === 'b')).toEqual([]); // no heartbeats either
  });

  it('close: refuses a signal that is not one, rejects with an aborted signal’s reason, and disposes', async () => {
    const [a, b, c] = [presence(), presence(), presence()];
    await expect(a.close({ signal: 'no' as never })).rejects.toMatchObject({ option: 'options.signal' });
    await expect(a.close({ signl: 1 } as never)).rejects.toThrow('it is not an option of Presence.close');
    expect(a.closed).toBe(false);
    const reason = new Error('hurry');
    await expect(a.close({ signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    expect(a.closed).toBe(true);
    await b.join('u');
    await settle();
    await b[Symbol.asyncDispose]();
    await settle();
    expect(b.closed).toBe(true);
    expect(c.isOnline('u')).toBe(false);
  });

  it('answers a state query for it or for everyone, once per turn, and not one for another', async () => {
    const a = presence();
    await a.join('u', 7);
    const o = await originOf(a);
    const states = () => seen.filter((m) => m.o === o && m.t === 's');
    await say({ t: 'q', to: 'someone-else' });
    await settle();
    expect(states()).toEqual([]);
    expect(a.stats().peers).toBe(0); // a query for another does not introduce its sender
    void say({ t: 'q', to: o });
    void say({ t: 'q', to: '*' });
    await settle();
    expect(states()).toEqual([
      { o, pid: process.pid, host: hostname(), t: 's', v: 1, e: [['u', 7]], last: true },
    ]);
    expect(a.stats().peers).toBe(1); // a query for everyone introduces its sender
  });

  it('answers a query of a later turn again', async () => {
    const a = presence();
    const o = await originOf(a);
    await say({ t: 'q', to: o });
    await settle();
    await say({ t: 'q', to: o });
    await settle();
    expect(seen.filter((m) => m.o === o && m.t === 's')).toHaveLength(2);
  });

  it('sends a state of exactly one message’s worth of entries as one last part', async () => {
    const a = presence();
    await Promise.all(Array.from({ length: 500 }, (_, i) => a.join(`u${i}`)));
    await settle();
    const late = presence();
    await settle();
    expect(late.stats().online).toBe(500);
  });

  it('keeps the ids of a peer that keeps beating, however long', async () => {
    const [a, b] = [presence(), presence()];
    await a.join('u');
    await settle();
    const offline = vi.fn();
    b.on('offline', offline);
    for (let i = 0; i < 20; i++) {
      vi.advanceTimersByTime(1_000);
      await settle();
    }
    expect(b.isOnline('u')).toBe(true);
    expect(offline).not.toHaveBeenCalled(); // not dropped and fetched again, either
  });

  it('refuses an id that is not a string, and takes one of 1,024 characters', async () => {
    const a = presence();
    await expect(a.join(5 as never)).rejects.toMatchObject({ option: 'id' });
    await a.join('x'.repeat(1_024));
    expect(a.isOnline('x'.repeat(1_024))).toBe(true);
  });

  it('says goodbye after the changes it has not yet published', async () => {
    const [a, b] = [presence(), presence()];
    await settle();
    void a.join('u');
    await a.close();
    await settle();
    expect(b.isOnline('u')).toBe(false);
    expect(b.stats().peers).toBe(0);
  });

  it('sends an empty state too, which empties what the asker knew of it', async () => {
    const lossy = partitionBus(bus);
    const [a, b] = [presence({ bus: lossy }), presence()];
    await a.join('u');
    await settle();
    lossy.cut = true;
    await a.leave('u');
    lossy.cut = false;
    vi.advanceTimersByTime(1_000);
    await settle();
    expect(b.isOnline('u')).toBe(false);
    expect(b.stats().resyncs).toBe(1);
  });

  it('notices a gap in changes at the next change, not only at a heartbeat', async () => {
    const lossy = partitionBus(bus);
    const [a, b] = [presence({ bus: lossy }), presence()];
    await a.join('before');
    await settle();
    lossy.cut = true;
    await a.join('during');
    await a.leave('before');
    lossy.cut = false;
    await a.join('after');
    await settle();
    expect(
      b
        .list()
        .map((e) => e.id)
        .sort(),
    ).toEqual(['after', 'during']);
    expect(b.stats().resyncs).toBe(1);
    await a.join('later');
    await settle();
    expect(b.stats().resyncs).toBe(1); // in step again after the full copy
  });

  it('does not ask again for a state already arriving, nor when in step', async () => {
    const b = presence();
    await settle();
    await say({ t: 's', v: 5, e: [['p1', null]], last: false });
    await say({ t: 'b', v: 5 });
    await settle();
    expect(b.stats().resyncs).toBe(0);
    expect(b.isOnline('p1')).toBe(false); // applied only with the last part
    await say({ t: 's', v: 5, e: [['p2', null]], last: true });
    await say({ t: 'b', v: 5 });
    await settle();
    expect(b.list().map((e) => e.id)).toEqual(['p1', 'p2']);
    expect(b.stats().resyncs).toBe(0);
    await say({ t: 'b', v: 6 });
    await settle();
    expect(b.stats().resyncs).toBe(1);
  });

  it('keeps its own ids however long it hears nothing, and drops a peer silent past ttlMs', async () => {
    const lossy = partitionBus(bus);
    const a = presence({ bus: lossy });
    await a.join('mine');
    await say({ t: 'j', v: 1, e: [['theirs', null]] });
    await settle();
    lossy.cut = true;
    vi.advanceTimersByTime(10_000);
    expect(a.list()).toEqual([{ id: 'mine', meta: null }]);
  });

  it('drops at a worker exit notice only the entries of that pid on this host', async () => {
    const reader = presence();
    await say({ t: 'j', v: 1, e: [['here', null]] });
    await bus.publish('loadstone:presence', {
      o: 'far/1/y',
      pid: 4_242,
      host: 'elsewhere',
      t: 'j',
      v: 1,
      e: [['far', null]],
    });
    await settle();
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    for (const notice of [null, 'x', [4_242], { pid: 1 }])
      await bus.publish('loadstone:worker:exited', notice);
    await settle();
    expect(warn).not.toHaveBeenCalled(); // ignored, not thrown at the bus
    expect(reader.list().map((e) => e.id)).toEqual(['here', 'far']);
    await bus.publish('loadstone:worker:exited', { pid: 4_242 });
    await settle();
    expect(reader.list().map((e) => e.id)).toEqual(['far']);
  });

  it('warns, and keeps working, when a listener throws', async () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const [a, b] = [presence(), presence()];
    b.on('online', () => {
      throw new Error('boom');
    });
    await a.join('u');
    await settle();
    expect(b.isOnline('u')).toBe(true);
    expect(warn).toHaveBeenCalledWith(
      expect.stringContaining('Presence online listener threw: Error: boom'),
      {
        code: 'LOADSTONE_WARN_PRESENCE_LISTENER_THREW',
      },
    );
  });
});
