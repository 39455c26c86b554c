// The argument checks of TieredCache's methods, each pinned here (they were tested only through
// the cache, and a mutation run found most of them unpinned: 43.6 %).
import { describe, expect, it } from 'vitest';
import { expectInvalidOption } from '../../test/helpers/expectInvalidOption.js';
import {
  checkEntries,
  checkGetOrSet,
  checkKey,
  checkKeys,
  checkOpen,
  checkSet,
  checkTags,
} from './checkArguments.js';
import { RESERVED_KEY_PREFIX } from './tagMarker.js';

const loader = () => 1;

describe('the cache’s argument checks', () => {
  it('refuses a call after close, and lets one through before', () => {
    expect(() => checkOpen({ closed: false })).not.toThrow();
    expect(() => checkOpen({ closed: true })).toThrow(
      expect.objectContaining({ code: 'ERR_LOADSTONE_CLOSED', message: 'TieredCache is closed' }),
    );
  });

  it('takes any string key outside the cache’s own namespace, at the path given', () => {
    expect(() => checkKey('')).not.toThrow();
    expect(() => checkKey(`user:${RESERVED_KEY_PREFIX}`)).not.toThrow(); // only a prefix is reserved
    expectInvalidOption(() => checkKey(5), 'key', 'a string');
    expectInvalidOption(() => checkKey(`${RESERVED_KEY_PREFIX}tag:x`), 'key', 'a key not starting with');
    expectInvalidOption(() => checkKey(5, 'keys[3]'), 'keys[3]', 'a string');
  });

  it('getOrSet: takes each of its options, and refuses others, null and bad values by name', () => {
    // (null for a known option is refused by that option's own check on this hot path)
    const options = {
      ttlMs: 1,
      graceMs: 0,
      tags: ['t'],
      negativeTtlMs: 0,
      signal: new AbortController().signal,
    };
    expect(checkGetOrSet('k', loader, options)).toBe(options);
    expect(checkGetOrSet('k', loader, undefined)).toEqual({});
    for (const name of ['ttlMs', 'graceMs', 'tags', 'negativeTtlMs', 'signal']) {
      expect(() => checkGetOrSet('k', loader, { [name]: undefined })).not.toThrow();
    }
    expectInvalidOption(
      () => checkGetOrSet('k', loader, { ttl: 5 } as never),
      'options.ttl',
      'absent: it is not an option of TieredCache.getOrSet',
    );
    expectInvalidOption(
      () => checkGetOrSet('k', loader, { ttlMs: null } as never),
      'options.ttlMs',
      'an integer >= 1',
    );
    expectInvalidOption(() => checkGetOrSet(5, loader, undefined), 'key', 'a string');
    expectInvalidOption(() => checkGetOrSet('k', 'load', undefined), 'loader', 'a function');
    expectInvalidOption(
      () => checkGetOrSet('k', loader, { signal: {} } as never),
      'options.signal',
      'an AbortSignal',
    );
    expectInvalidOption(() => checkGetOrSet('k', loader, { ttlMs: 0 }), 'options.ttlMs', 'an integer >= 1');
    expectInvalidOption(
      () => checkGetOrSet('k', loader, { graceMs: -1 }),
      'options.graceMs',
      'an integer >= 0',
    );
    expectInvalidOption(
      () => checkGetOrSet('k', loader, { negativeTtlMs: -1 }),
      'options.negativeTtlMs',
      'an integer >= 0',
    );
    expectInvalidOption(
      () => checkGetOrSet('k', loader, { tags: 't' } as never),
      'options.tags',
      'an array of strings',
    );
    expectInvalidOption(
      () => checkGetOrSet('k', loader, { tags: ['a', ''] }),
      'options.tags[1]',
      'a non-empty string',
    );
  });

  it('getOrSet: a signal that has aborted throws its reason', () => {
    const reason = new Error('gone');
    expect(() => checkGetOrSet('k', loader, { signal: AbortSignal.abort(reason) })).toThrow(reason);
    expect(() => checkGetOrSet('k', loader, { signal: AbortSignal.abort('gone') })).toThrow(
      expect.objectContaining({ cause: 'gone', message: 'TieredCache getOrSet was aborted' }),
    );
  });

  it('getOrSet and set: refuse options that are not an object, by the name `options`', () => {
    expectInvalidOption(() => checkGetOrSet('k', loader, 5 as never), 'options', 'an object');
    expectInvalidOption(() => checkSet('k', 1, 'long' as never), 'options', 'an object');
  });

  it('set: refuses an undefined value, another option, and bad values', () => {
    expect(checkSet('k', null, { ttlMs: 5, graceMs: 1, tags: [] })).toEqual({
      ttlMs: 5,
      graceMs: 1,
      tags: [],
    });
    expectInvalidOption(() => checkSet('k', undefined, undefined), 'value', 'defined (use delete())');
    expectInvalidOption(
      () => checkSet('k', 1, { negativeTtlMs: 1 } as never),
      'options.negativeTtlMs',
      'absent: it is not an option of TieredCache.set',
    );
    expectInvalidOption(() => checkSet('k', 1, { ttlMs: 1.5 }), 'options.ttlMs', 'an integer >= 1');
    expectInvalidOption(
      () => checkSet(`${RESERVED_KEY_PREFIX}x`, 1, undefined),
      'key',
      'a key not starting with',
    );
  });

  it('setMany: names the entry at fault', () => {
    expect(() =>
      checkEntries([
        { key: 'a', value: 1 },
        { key: 'b', value: 2, options: { ttlMs: 1 } },
      ]),
    ).not.toThrow();
    expectInvalidOption(() => checkEntries('x' as never), 'entries', 'an array');
    expectInvalidOption(
      () => checkEntries([{ key: 'a', value: 1 }, null] as never),
      'entries[1].key',
      'a string',
    );
    expectInvalidOption(() => checkEntries([{ key: 'a', value: undefined }]), 'entries[0].value', 'defined');
    expectInvalidOption(
      () => checkEntries([{ key: 'a', value: 1, options: { tll: 1 } as never }]),
      'entries[0].options.tll',
      'absent: it is not an option of TieredCache.setMany',
    );
    expectInvalidOption(
      () => checkEntries([{ key: 'a', value: 1, options: 5 as never }]),
      'entries[0].options',
      'an object',
    );
    expectInvalidOption(
      () => checkEntries([{ key: 'a', value: 1, options: { ttlMs: 0 } }]),
      'entries[0].options.ttlMs',
      'an integer >= 1',
    );
  });

  it('getMany and invalidateTags: name the element at fault', () => {
    expect(() => checkKeys(['a', 'b'])).not.toThrow();
    expectInvalidOption(() => checkKeys('a' as never), 'keys', 'an array');
    expectInvalidOption(() => checkKeys(['a', 1] as never), 'keys[1]', 'a string');
    expect(() => checkTags(['a'])).not.toThrow();
    expectInvalidOption(() => checkTags('a' as never), 'tags', 'an array of strings');
    expectInvalidOption(() => checkTags(['a', ''] as never), 'tags[1]', 'a non-empty string');
  });
});
