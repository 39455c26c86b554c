import { describe, expect, it } from 'vitest';
import { expectInvalidOption } from '../../test/helpers/expectInvalidOption.js';
import { systemClock } from '../core/Clock.js';
import { InProcessBus } from '../core/InProcessBus.js';
import { resolvePresenceOptions } from './PresenceOptions.js';

describe('resolvePresenceOptions', () => {
  const bus = new InProcessBus();

  it('fills in the defaults: ttl three heartbeats', () => {
    expect(resolvePresenceOptions({ bus })).toEqual({
      bus,
      channel: 'loadstone:presence',
      heartbeatMs: 5_000,
      ttlMs: 15_000,
      maxEntries: 1_000_000,
      maxBytes: 67_108_864,
      clock: systemClock,
    });
    expect(resolvePresenceOptions({ bus, heartbeatMs: 100 }).ttlMs).toBe(300);
  });

  it('keeps what it is given, at the bounds', () => {
    const clock = { now: () => 0 };
    const channel = 'c'.repeat(256);
    expect(
      resolvePresenceOptions({
        bus,
        channel,
        heartbeatMs: 3_600_000,
        ttlMs: 86_400_000,
        maxEntries: 1,
        maxBytes: 1,
        clock,
      }),
    ).toEqual({ bus, channel, heartbeatMs: 3_600_000, ttlMs: 86_400_000, maxEntries: 1, maxBytes: 1, clock });
    expect(resolvePresenceOptions({ bus, heartbeatMs: 10, ttlMs: 20 })).toMatchObject({
      heartbeatMs: 10,
      ttlMs: 20,
    });
  });

  it.each([
    ['options that are not an object', 'bus', 'options', 'an object'],
    ['an empty channel', { channel: '' }, 'options.channel', 'a non-empty string'],
    ['an overlong channel', { channel: 'c'.repeat(257) }, 'options.channel', 'at most 256 characters'],
    ['a heartbeat over an hour', { heartbeatMs: 3_600_001 }, 'options.heartbeatMs', 'an integer'],
    ['a ttl over a day', { heartbeatMs: 10, ttlMs: 86_400_001 }, 'options.ttlMs', 'an integer'],
    ['a bus with no subscribe', { bus: { publish: () => {} } }, 'options.bus', 'a Bus'],
  ])('refuses %s', (_name, options, option, expected) => {
    const withBus = typeof options === 'object' && !('bus' in options) ? { bus, ...options } : options;
    expectInvalidOption(() => resolvePresenceOptions(withBus as never), option, expected);
  });

  it('names Presence in the error for an unknown option', () => {
    expect(() => resolvePresenceOptions({ bus, heartbeat: 1 } as never)).toThrow('not an option of Presence');
  });
});
