import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fmix32, md5Words, murmur3, murmur3Pair } from './hashers.js';

/** Straightforward MurmurHash3 x86_32 over a byte buffer: the reference for the fast paths. */
function referenceMurmur3(bytes: Uint8Array, seed = 0): number {
  let h = seed >>> 0;
  const blocks = bytes.length & ~3;
  const mix = (value: number) => {
    let k = Math.imul(value, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    return Math.imul(k, 0x1b873593);
  };
  for (let i = 0; i < blocks; i += 4) {
    h ^= mix(
      (bytes[i] as number) |
        ((bytes[i + 1] as number) << 8) |
        ((bytes[i + 2] as number) << 16) |
        ((bytes[i + 3] as number) << 24),
    );
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  let k = 0;
  for (let i = bytes.length - 1; i >= blocks; i--) k = (k << 8) | (bytes[i] as number);
  if (bytes.length & 3) h ^= mix(k);
  h ^= bytes.length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

describe('murmur3', () => {
  it('reproduces the published MurmurHash3 x86_32 vectors', () => {
    expect(murmur3('')).toBe(0);
    expect(murmur3('', 1)).toBe(0x514e28b7);
    expect(murmur3('hello')).toBe(0x248bfa47);
    expect(murmur3('The quick brown fox jumps over the lazy dog')).toBe(0x2e4ff723);
  });

  it('hashes the UTF-8 bytes of any string, ASCII fast path or not', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' })),
        fc.integer({ min: 0, max: 0xffffffff }),
        (key, seed) => {
          expect(murmur3(key, seed)).toBe(referenceMurmur3(new TextEncoder().encode(key), seed));
        },
      ),
    );
  });
});

/** Strings at every UTF-8 boundary: 1–4 byte sequences, lone and paired surrogates, at the end too. */
const edgeStrings = [
  '\u007f',
  '\u0080',
  'a\u0080',
  '\u07ff',
  '\u0800',
  '\ud7ff',
  '\ud800',
  '\udbff',
  '\udc00',
  '\udfff',
  '\ue000',
  '\uffff',
  '\ud800\udc00',
  '\udbff\udfff',
  'x\ud83d\ude00y',
  '\ud83d',
  'ab\ud83d',
  '\ud83dz',
  '\ud83d\ud83d\ude00',
  '\ude00\ud83d',
  'é'.repeat(300),
  '€'.repeat(301),
  '😀'.repeat(150),
  `${'a'.repeat(90)}€`,
];

describe('UTF-8 encoding of keys', () => {
  it.each(edgeStrings.map((key) => [key.length, key]))(
    'hashes the UTF-8 bytes TextEncoder gives (%i UTF-16 units)',
    (_length, key) => {
      const bytes = new TextEncoder().encode(key);
      expect(murmur3(key)).toBe(referenceMurmur3(bytes));
      expect(murmur3(key, 0x9747b28c)).toBe(referenceMurmur3(bytes, 0x9747b28c));
      const words = new Uint32Array(4);
      md5Words(key, words);
      expect(Buffer.from(words.buffer).toString('hex')).toBe(createHash('md5').update(bytes).digest('hex'));
    },
  );

  it('hashes an ASCII key the same after a long key has grown the encoding buffer', () => {
    const words = new Uint32Array(4);
    md5Words('€'.repeat(2_000), words);
    expect(murmur3('\u00e9t\u00e9')).toBe(referenceMurmur3(new TextEncoder().encode('\u00e9t\u00e9')));
    md5Words('short', words);
    expect(Buffer.from(words.buffer).toString('hex')).toBe(createHash('md5').update('short').digest('hex'));
  });
});

describe('murmur3Pair', () => {
  it('is the seeded and the unseeded murmur3 of the key, high word first', () => {
    const out = new Uint32Array(2);
    for (const key of ['', 'a', 'user:42', '€uro', 'x'.repeat(1_000)]) {
      murmur3Pair(key, out);
      expect([...out]).toEqual([murmur3(key, 0x9747b28c), murmur3(key)]);
    }
  });
});

describe('fmix32', () => {
  it("is MurmurHash3's 32-bit finaliser", () => {
    expect(fmix32(0)).toBe(0);
    // The finaliser of the empty key with seed 1 is the published vector murmur3('', 1).
    expect(fmix32(1)).toBe(0x514e28b7);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (value) => {
        let h = value;
        h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
        h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
        expect(fmix32(value)).toBe((h ^ (h >>> 16)) >>> 0);
      }),
    );
  });
});

describe('md5Words', () => {
  it('equals the RFC 1321 test suite digests', () => {
    const words = new Uint32Array(4);
    const digest = (key: string) => {
      md5Words(key, words);
      return Buffer.from(words.buffer).toString('hex');
    };
    expect(digest('')).toBe('d41d8cd98f00b204e9800998ecf8427e');
    expect(digest('a')).toBe('0cc175b9c0f1b6a831c399e269772661');
    expect(digest('abc')).toBe('900150983cd24fb0d6963f7d28e17f72');
    expect(digest('message digest')).toBe('f96b697d7cb7938d525a2f31aaf161d0');
    expect(digest('abcdefghijklmnopqrstuvwxyz')).toBe('c3fcd3d76192e4007dfb496cca67e13b');
    expect(digest('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789')).toBe(
      'd174ab98d277d9f5a5611c2c9f419d9f',
    );
    expect(digest('1234567890'.repeat(8))).toBe('57edf4a22be3c955ac49da2e2107b67a');
  });

  it('pads every tail length: 0–63 bytes past a block, and a second block from 56', () => {
    const words = new Uint32Array(4);
    for (let length = 0; length <= 130; length++) {
      const key = 'k'.repeat(length);
      md5Words(key, words);
      expect(Buffer.from(words.buffer).toString('hex')).toBe(createHash('md5').update(key).digest('hex'));
    }
  });

  it('equals node:crypto MD5 for any string, including multi-block and non-ASCII ones', () => {
    const words = new Uint32Array(4);
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ maxLength: 200 }), fc.string({ unit: 'binary', maxLength: 80 })),
        (key) => {
          md5Words(key, words);
          expect(Buffer.from(words.buffer).toString('hex')).toBe(
            createHash('md5').update(key, 'utf8').digest('hex'),
          );
        },
      ),
    );
  });
});
