import { describe, expect, it } from 'vitest';
import type { JsonValue } from '../core/Json.js';
import { entryBytes, PresenceView } from './PresenceView.js';

function view(maxEntries = 100, maxBytes = Number.MAX_SAFE_INTEGER) {
  const events: string[] = [];
  const v = new PresenceView(
    { maxEntries, maxBytes },
    {
      online: (id, meta) => events.push(`+${id}=${JSON.stringify(meta)}`),
      offline: (id) => events.push(`-${id}`),
    },
  );
  return { v, events };
}

describe('PresenceView', () => {
  it('keeps one owner per key, refreshing when it was last seen', () => {
    const { v } = view();
    const a = v.owner('a', 1, 'h', 10);
    expect(a).toMatchObject({ pid: 1, host: 'h', lastSeen: 10, v: 0, incoming: undefined });
    expect(v.owner('a', 2, 'other', 20)).toBe(a);
    expect(a).toMatchObject({ pid: 1, host: 'h', lastSeen: 20 });
    expect(v.owners.size).toBe(1);
  });

  it('holds an id online while any owner holds it, reporting only the first and the last', () => {
    const { v, events } = view();
    const [a, b] = [v.owner('a', 1, 'h', 0), v.owner('b', 2, 'h', 0)];
    expect(v.set(a, 'u', 1)).toBe(true);
    expect(v.set(b, 'u', 2)).toBe(true);
    expect(v.set(a, 'u', 3)).toBe(true); // an update, not a new entry
    expect(v).toMatchObject({ entries: 2, online: 1 });
    expect(v.metas('u')).toEqual([3, 2]);
    expect(v.list()).toEqual([{ id: 'u', meta: 3 }]);
    v.delete(a, 'u');
    expect(v.isOnline('u')).toBe(true);
    v.delete(a, 'u'); // not held by a any more: nothing
    expect(v).toMatchObject({ entries: 1, online: 1 });
    v.delete(b, 'u');
    expect(v.isOnline('u')).toBe(false);
    expect(v.metas('u')).toEqual([]);
    expect(v).toMatchObject({ entries: 0, online: 0 });
    expect(events).toEqual(['+u=1', '-u']);
  });

  it('lists each online id once, with its metas from every holder', () => {
    const { v } = view();
    const [a, b] = [v.owner('a', 1, 'h', 0), v.owner('b', 2, 'h', 0)];
    v.set(a, 'x', 'ax');
    v.set(b, 'x', 'bx');
    v.set(b, 'y', null);
    expect(v.list()).toEqual([
      { id: 'x', meta: 'ax' },
      { id: 'y', meta: null },
    ]);
    expect(v.metas('y')).toEqual([null]);
  });

  it('refuses new entries past maxEntries, counting them, but takes updates', () => {
    const { v, events } = view(2);
    const [a, b] = [v.owner('a', 1, 'h', 0), v.owner('b', 2, 'h', 0)];
    v.set(a, 'x', 1);
    v.set(a, 'y', 1);
    expect(v.set(b, 'x', 2)).toBe(false);
    expect(v.set(a, 'x', 9)).toBe(true);
    expect(v).toMatchObject({ entries: 2, dropped: 1 });
    expect(v.metas('x')).toEqual([9]);
    v.delete(a, 'y');
    expect(v.set(b, 'x', 2)).toBe(true);
    expect(events).toEqual(['+x=1', '+y=1', '-y']);
  });

  it('replaces an owner’s entries exactly, and drops an owner with all it held', () => {
    const { v, events } = view();
    const [a, b] = [v.owner('a', 1, 'h', 0), v.owner('b', 2, 'h', 0)];
    v.set(a, 'keep', 1);
    v.set(a, 'gone', 1);
    v.set(b, 'shared', 1);
    v.replace(
      a,
      new Map<string, JsonValue>([
        ['keep', 2],
        ['new', 3],
        ['shared', 4],
      ]),
    );
    expect([...a.entries]).toEqual([
      ['keep', 2],
      ['new', 3],
      ['shared', 4],
    ]);
    expect(v).toMatchObject({ entries: 4, online: 3 });
    v.drop('a');
    v.drop('nobody');
    expect(v.owners.has('a')).toBe(false);
    expect(v.list()).toEqual([{ id: 'shared', meta: 1 }]);
    expect(events).toEqual(['+keep=1', '+gone=1', '+shared=1', '-gone', '+new=3', '-keep', '-new']);
  });

  it('counts each entry as 160 bytes plus two per character of its id and of its meta as JSON', () => {
    const { v } = view();
    const a = v.owner('a', 1, 'h', 0);
    expect(entryBytes('u1', { n: 1 })).toBe(160 + 4 + 14);
    v.set(a, 'u1', { n: 1 });
    v.set(a, 'u2', null);
    expect(v.bytes).toBe(178 + 160 + 4 + 8);
    v.set(a, 'u1', 'longer meta'); // an update counts the difference
    expect(v.bytes).toBe(entryBytes('u1', 'longer meta') + entryBytes('u2', null));
    v.delete(a, 'u1');
    v.delete(a, 'u2');
    expect(v.bytes).toBe(0);
  });

  it('refuses an entry, or a larger meta, past maxBytes, and counts it dropped', () => {
    const { v, events } = view(100, 2 * entryBytes('u1', 'x'));
    const a = v.owner('a', 1, 'h', 0);
    expect(v.set(a, 'u1', 'x')).toBe(true);
    expect(v.set(a, 'u2', 'x')).toBe(true);
    expect(v.set(a, 'u3', 'x')).toBe(false); // full: not kept, not announced
    expect(v.set(a, 'u1', 'xx')).toBe(false); // would grow past the bound: the old meta stays
    expect(v.metas('u1')).toEqual(['x']);
    expect(v.set(a, 'u1', 7)).toBe(true); // shorter: always fits
    expect(v.set(a, 'u1', 'x')).toBe(true); // back to exactly maxBytes: fits
    expect(v).toMatchObject({ entries: 2, dropped: 2, bytes: 2 * entryBytes('u1', 'x') });
    expect(v.isOnline('u3')).toBe(false);
    expect(events).toEqual(['+u1="x"', '+u2="x"']);
  });
});
