import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectInvalidOption } from '../../test/helpers/expectInvalidOption.js';
import { isLoadstoneError } from '../core/errors/index.js';
import { jumpHash } from './jumpHash.js';

/** The reference C++ of Lamping & Veach, transcribed with BigInt: slow but evidently right. */
function referenceJumpHash(key: bigint, buckets: number): number {
  let k = key;
  let b = -1n;
  let j = 0n;
  while (j < BigInt(buckets)) {
    b = j;
    k = (k * 2862933555777941757n + 1n) & 0xffffffffffffffffn;
    j = BigInt(Math.trunc(Number(b + 1n) * (2147483648 / Number((k >> 33n) + 1n))));
  }
  return Number(b);
}

describe('jumpHash', () => {
  it('reproduces the published reference vectors', () => {
    // #region jumpHash
    // The test vectors shipped with the reference implementations (e.g. dgryski/go-jump).
    expect(jumpHash(1n, 1)).toBe(0);
    expect(jumpHash(42n, 57)).toBe(43);
    expect(jumpHash(0xdead10ccn, 1)).toBe(0);
    expect(jumpHash(0xdead10ccn, 666)).toBe(361);
    expect(jumpHash(256n, 1024)).toBe(520);
    // A safe-integer number is the fast path, with the same answer.
    expect(jumpHash(256, 1024)).toBe(520);
    // #endregion jumpHash
  });

  it('matches the BigInt reference for any 64-bit key and bucket count', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
        fc.integer({ min: 1, max: 0x7fffffff }),
        (key, buckets) => {
          expect(jumpHash(key, buckets)).toBe(referenceJumpHash(key, buckets));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('carries into the high word when the low word of the product is 2^32 − 1', () => {
    // 0x666313ab × the multiplier's low word ≡ 2^32 − 1 (mod 2^32): adding 1 carries at once.
    for (const hi of [0n, 1n, 0x12345678n, 0xffffffffn]) {
      const key = (hi << 32n) | 0x666313abn;
      for (const buckets of [0x7fffffff, 1_000_003, 65_536]) {
        expect(jumpHash(key, buckets)).toBe(referenceJumpHash(key, buckets));
        if (key <= BigInt(Number.MAX_SAFE_INTEGER))
          expect(jumpHash(Number(key), buckets)).toBe(jumpHash(key, buckets));
      }
    }
  });

  it('accepts the ends of both ranges', () => {
    expect(jumpHash(0, 10)).toBe(referenceJumpHash(0n, 10));
    expect(jumpHash(0n, 0x7fffffff)).toBe(referenceJumpHash(0n, 0x7fffffff));
    expect(jumpHash((1n << 64n) - 1n, 0x7fffffff)).toBe(referenceJumpHash((1n << 64n) - 1n, 0x7fffffff));
    expect(jumpHash(Number.MAX_SAFE_INTEGER, 1000)).toBe(
      referenceJumpHash(BigInt(Number.MAX_SAFE_INTEGER), 1000),
    );
  });

  it('gives the same bucket for a number and the equal bigint', () => {
    fc.assert(
      fc.property(fc.maxSafeNat(), fc.integer({ min: 1, max: 100_000 }), (key, buckets) => {
        expect(jumpHash(key, buckets)).toBe(jumpHash(BigInt(key), buckets));
      }),
    );
  });

  it('moves only keys into the new bucket when one is added', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
        fc.integer({ min: 1, max: 10_000 }),
        (key, buckets) => {
          const before = jumpHash(key, buckets);
          const after = jumpHash(key, buckets + 1);
          expect(after === before || after === buckets).toBe(true);
        },
      ),
    );
  });

  it.each([
    ['buckets', 1n, 0, 'an integer from 1 to 2147483647'],
    ['buckets', 1n, Number.NaN, 'an integer from 1 to 2147483647'],
    ['key', -1, 10, 'a non-negative safe integer or a bigint in [0, 2^64)'],
    ['key', -1n, 10, 'a non-negative safe integer or a bigint in [0, 2^64)'],
    ['key', '5', 10, 'a non-negative safe integer or a bigint in [0, 2^64)'],
    ['key', undefined, 10, 'a non-negative safe integer or a bigint in [0, 2^64)'],
  ])('says what a %s must be (%s, %s)', (option, key, buckets, expected) => {
    expectInvalidOption(
      () => jumpHash(key as bigint, buckets as number),
      option as string,
      expected as string,
    );
  });

  it.each([
    ['buckets', 1n, 0],
    ['buckets', 1n, -10],
    ['buckets', 1n, 1.5],
    ['buckets', 1n, 2 ** 31],
    ['key', -1n, 10],
    ['key', 1n << 64n, 10],
    ['key', -1, 10],
    ['key', 1.5, 10],
    ['key', 2 ** 53, 10],
  ])('refuses a bad %s (%s, %s) with ERR_LOADSTONE_INVALID_OPTION', (option, key, buckets) => {
    let caught: unknown;
    try {
      jumpHash(key as bigint | number, buckets as number);
    } catch (error) {
      caught = error;
    }
    expect(isLoadstoneError(caught, 'ERR_LOADSTONE_INVALID_OPTION')).toBe(true);
    expect((caught as { option: string }).option).toBe(option);
  });
});
