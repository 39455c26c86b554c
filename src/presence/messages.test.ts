import { describe, expect, it } from 'vitest';
import type { JsonValue } from '../core/Json.js';
import {
  type ChangeOp,
  changeMessages,
  ENTRIES_PER_MESSAGE,
  MAX_ID_LENGTH,
  readMessage,
} from './messages.js';

const origin = { o: 'h/1/abc', pid: 1, host: 'h' };
const ids = (n: number) => Array.from({ length: n }, (_, i) => `u${i}`);

describe('presence readMessage', () => {
  it.each([
    ['a join', { ...origin, t: 'j', v: 0, e: [['u', null]] }],
    [
      'a join of the most entries and the longest id',
      { ...origin, t: 'j', v: 1, e: [['x'.repeat(MAX_ID_LENGTH), 1]] },
    ],
    ['a leave', { ...origin, t: 'l', v: 2, ids: ['u'] }],
    ['a heartbeat', { ...origin, t: 'b', v: 0 }],
    ['a state part', { ...origin, t: 's', v: 3, e: [], last: false }],
    ['a state query', { ...origin, t: 'q', to: '*' }],
    ['a goodbye', { ...origin, t: 'x' }],
    ['an origin of 512 characters', { ...origin, o: 'o'.repeat(512), t: 'x' }],
    ['pid 0', { ...origin, pid: 0, t: 'x' }],
  ])('accepts %s', (_name, message) => {
    expect(readMessage(message as JsonValue)).toBe(message);
  });

  it('accepts a join or leave of exactly the most entries per message', () => {
    const e = ids(ENTRIES_PER_MESSAGE).map((id) => [id, null]);
    expect(readMessage({ ...origin, t: 'j', v: 1, e })).toBeDefined();
    expect(readMessage({ ...origin, t: 'l', v: 1, ids: ids(ENTRIES_PER_MESSAGE) })).toBeDefined();
    expect(readMessage({ ...origin, t: 's', v: 1, e, last: true })).toBeDefined();
  });

  it.each([
    ['an array', [origin]],
    ['null', null],
    ['a number', 5],
    ['an origin that is not a string', { ...origin, o: 5, t: 'x' }],
    ['an overlong origin', { ...origin, o: 'o'.repeat(513), t: 'x' }],
    ['a negative pid', { ...origin, pid: -1, t: 'x' }],
    ['a fractional pid', { ...origin, pid: 1.5, t: 'x' }],
    ['a host that is not a string', { ...origin, host: 1, t: 'x' }],
    ['an unknown type', { ...origin, t: 'z' }],
    ['a join with no count', { ...origin, t: 'j', e: [] }],
    ['a join with a negative count', { ...origin, t: 'j', v: -1, e: [] }],
    ['a join whose entries are not an array', { ...origin, t: 'j', v: 1, e: {} }],
    [
      'a join with too many entries',
      { ...origin, t: 'j', v: 1, e: ids(ENTRIES_PER_MESSAGE + 1).map((id) => [id, 1]) },
    ],
    ['a join entry that is not a pair', { ...origin, t: 'j', v: 1, e: [['u']] }],
    ['a join entry of three', { ...origin, t: 'j', v: 1, e: [['u', 1, 2]] }],
    ['a join entry that is not an array', { ...origin, t: 'j', v: 1, e: ['u'] }],
    ['a join of an empty id', { ...origin, t: 'j', v: 1, e: [['', 1]] }],
    ['a join of an overlong id', { ...origin, t: 'j', v: 1, e: [['x'.repeat(MAX_ID_LENGTH + 1), 1]] }],
    ['a leave with no count', { ...origin, t: 'l', ids: [] }],
    ['a leave whose ids are not an array', { ...origin, t: 'l', v: 1, ids: 'u' }],
    ['a leave of too many ids', { ...origin, t: 'l', v: 1, ids: ids(ENTRIES_PER_MESSAGE + 1) }],
    ['a leave of an id that is not a string', { ...origin, t: 'l', v: 1, ids: ['u', 5] }],
    ['a heartbeat with no count', { ...origin, t: 'b' }],
    ['a state part with no count', { ...origin, t: 's', e: [], last: true }],
    ['a state part with bad entries', { ...origin, t: 's', v: 1, e: [[1, 1]], last: true }],
    ['a state part with no last flag', { ...origin, t: 's', v: 1, e: [] }],
    ['a query with no target', { ...origin, t: 'q' }],
  ])('refuses %s', (_name, message) => {
    expect(readMessage(message as JsonValue)).toBeUndefined();
  });
});

describe('presence changeMessages', () => {
  it('sends nothing for no changes', () => {
    expect(changeMessages(origin, [], 4)).toEqual([]);
  });

  it('groups each run of joins or leaves into one message, numbered on from v', () => {
    const ops: ChangeOp[] = [
      ['j', 'a', 1],
      ['j', 'b', null],
      ['l', 'a'],
      ['l', 'c'],
      ['j', 'a', 2],
    ];
    expect(changeMessages(origin, ops, 4)).toEqual([
      {
        ...origin,
        t: 'j',
        v: 5,
        e: [
          ['a', 1],
          ['b', null],
        ],
      },
      { ...origin, t: 'l', v: 6, ids: ['a', 'c'] },
      { ...origin, t: 'j', v: 7, e: [['a', 2]] },
    ]);
  });

  it(`splits a run of more than ${ENTRIES_PER_MESSAGE} into messages a receiver accepts`, () => {
    const joins = ids(ENTRIES_PER_MESSAGE * 2 + 1).map((id): ChangeOp => ['j', id, null]);
    const messages = changeMessages(origin, joins, 0);
    expect(messages.map((m) => (m as { e: unknown[] }).e.length)).toEqual([
      ENTRIES_PER_MESSAGE,
      ENTRIES_PER_MESSAGE,
      1,
    ]);
    expect(messages.map((m) => (m as { v: number }).v)).toEqual([1, 2, 3]);
    for (const m of messages) expect(readMessage(m as unknown as JsonValue)).toBeDefined();
    const leaves = ids(ENTRIES_PER_MESSAGE + 1).map((id): ChangeOp => ['l', id]);
    expect(changeMessages(origin, leaves, 0).map((m) => (m as { ids: string[] }).ids.length)).toEqual([
      ENTRIES_PER_MESSAGE,
      1,
    ]);
  });
});
