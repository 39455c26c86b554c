import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addressKey } from './addressKey.js';

describe('addressKey', () => {
  it.each([
    ['203.0.113.7', 56, '203.0.113.7'],
    ['::ffff:203.0.113.7', 56, '203.0.113.7'],
    ['::FFFF:203.0.113.7', 64, '203.0.113.7'],
    ['::ffff:10.20.30.40', 64, '10.20.30.40'],
    ['fe80::ffff:10.20.30.40', 64, 'fe80:0:0:0:0:0:0:0/64'], // not IPv4-mapped: ::ffff: must lead
    ['::ffff:10.20.30.40:5', 64, '::ffff:10.20.30.40:5'], // not an address: kept as is
    ['2001:db8:1234:5678:9abc:def0:1:2', 56, '2001:db8:1234:5600:0:0:0:0/56'],
    ['2001:db8:1234:5678:9abc:def0:1:2', 64, '2001:db8:1234:5678:0:0:0:0/64'],
    ['2001:db8:1234:5678:9abc:def0:1:2', 128, '2001:db8:1234:5678:9abc:def0:1:2/128'],
    ['2001:db8:1234:5678:9abc:def0:1:2', 1, '0:0:0:0:0:0:0:0/1'],
    ['2001:db8:1234:5678:9abc:def0:1:2', 3, '2000:0:0:0:0:0:0:0/3'],
    ['2001:db8::1', 48, '2001:db8:0:0:0:0:0:0/48'],
    ['::1', 64, '0:0:0:0:0:0:0:0/64'],
    ['::', 64, '0:0:0:0:0:0:0:0/64'],
    ['fe80::1%eth0', 64, 'fe80:0:0:0:0:0:0:0/64'],
    ['64:ff9b::198.51.100.1', 112, '64:ff9b:0:0:0:0:c633:0/112'],
    ['2001:db8::1', false, '2001:db8::1'],
    ['', 56, ''],
    ['/tmp/socket', 56, '/tmp/socket'],
  ] as const)('%s at /%s is %s', (address, subnet, key) => {
    expect(addressKey(address, subnet)).toBe(key);
  });

  it('gives every address of one /subnet the same key, and addresses of two different ones different keys', () => {
    const group = fc.integer({ min: 0, max: 0xffff });
    const address = fc.array(group, { minLength: 8, maxLength: 8 });
    fc.assert(
      fc.property(address, address, fc.integer({ min: 1, max: 128 }), (a, b, subnet) => {
        const text = (g: number[]) => g.map((x) => x.toString(16)).join(':');
        const samePrefix = a.every((x, i) => {
          const bits = subnet - 16 * i;
          if (bits <= 0) return true;
          const mask = bits >= 16 ? 0xffff : (0xffff << (16 - bits)) & 0xffff;
          return (x & mask) === ((b[i] ?? 0) & mask);
        });
        expect(addressKey(text(a), subnet) === addressKey(text(b), subnet)).toBe(samePrefix);
      }),
    );
  });
});
