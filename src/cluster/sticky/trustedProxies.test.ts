import { describe, expect, it } from 'vitest';
import { expectInvalidOption } from '../../../test/helpers/expectInvalidOption.js';
import { forwardedClient, trustedProxyMatcher } from './trustedProxies.js';

describe('trustedProxyMatcher', () => {
  it('matches addresses and CIDR ranges of both families, and IPv4 seen through IPv6', () => {
    const trusted = trustedProxyMatcher('p', ['10.0.0.0/8', '192.0.2.1', '2001:db8::/32', '::1']);
    for (const yes of ['10.1.2.3', '::ffff:10.9.9.9', '192.0.2.1', '2001:db8::5', '::1']) {
      expect(trusted(yes)).toBe(true);
    }
    for (const no of ['11.0.0.1', '192.0.2.2', '2001:db9::1', 'not-an-ip', ''])
      expect(trusted(no)).toBe(false);
  });

  it('takes every prefix length from 0 to the family’s width, and up to 1,000 entries', () => {
    const all = trustedProxyMatcher('p', ['0.0.0.0/0']);
    expect(all('198.51.100.1')).toBe(true);
    expect(trustedProxyMatcher('p', ['192.0.2.1/32'])('192.0.2.1')).toBe(true);
    expect(trustedProxyMatcher('p', ['::1/128'])('::1')).toBe(true);
    const thousand = Array.from({ length: 1_000 }, (_, i) => `10.0.${Math.floor(i / 250)}.${i % 250}`);
    expect(trustedProxyMatcher('p', thousand)('10.0.3.249')).toBe(true);
    expectInvalidOption(
      () => trustedProxyMatcher('p', [...thousand, '10.9.9.9']),
      'p',
      'an array of 1 to 1000',
    );
    for (const bad of ['10.0.0.0/x8', '10.0.0.0/8x', '10.0.0.0/', '10.0.0.0/1234']) {
      expectInvalidOption(() => trustedProxyMatcher('p', [bad]), 'p[0]', 'an IP address or CIDR');
    }
  });

  it('refuses a bad list, naming the bad entry', () => {
    expectInvalidOption(() => trustedProxyMatcher('p', []), 'p', 'an array of 1 to 1000');
    expectInvalidOption(() => trustedProxyMatcher('p', '10.0.0.1'), 'p', 'an array of 1 to 1000');
    for (const [i, bad] of [
      [1, 'example.com'],
      [1, '10.0.0.0/33'],
      [1, '::/129'],
      [1, '10.0.0.0/8/1'],
      [1, 7],
      [1, '10.0.0.0/x'],
    ] as const) {
      expectInvalidOption(
        () => trustedProxyMatcher('p', ['10.0.0.1', bad]),
        `p[${i}]`,
        'an IP address or CIDR',
      );
    }
  });
});

describe('forwardedClient', () => {
  const trusted = trustedProxyMatcher('p', ['10.0.0.0/8']);

  it('takes the first hop from the right that is not a trusted proxy', () => {
    expect(forwardedClient('203.0.113.7', trusted)).toBe('203.0.113.7');
    expect(forwardedClient('203.0.113.7, 10.0.0.2', trusted)).toBe('203.0.113.7');
    // The client wrote "1.1.1.1" itself: only hops appended by trusted proxies count.
    expect(forwardedClient('1.1.1.1, 203.0.113.7, 10.0.0.2', trusted)).toBe('203.0.113.7');
    expect(forwardedClient('10.0.0.9, 10.0.0.2', trusted)).toBe('10.0.0.9'); // every hop trusted: the leftmost
  });

  it('accepts ports and bracketed IPv6 hops, and gives nothing for garbage', () => {
    expect(forwardedClient('203.0.113.7:5555', trusted)).toBe('203.0.113.7');
    expect(forwardedClient('[2001:db8::7]:443', trusted)).toBe('2001:db8::7');
    expect(forwardedClient('::ffff:203.0.113.7', trusted)).toBe('203.0.113.7');
    expect(forwardedClient(undefined, trusted)).toBeUndefined();
    expect(forwardedClient('unknown', trusted)).toBeUndefined();
    expect(forwardedClient('203.0.113.7, garbage', trusted)).toBeUndefined();
    expect(forwardedClient('[2001:db8::7]', trusted)).toBe('2001:db8::7');
    for (const bad of ['x[2001:db8::7]:443', '[2001:db8::7]:443x', 'x203.0.113.7:80', '203.0.113.7:80x']) {
      expect(forwardedClient(bad, trusted)).toBeUndefined();
    }
  });
});
