import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
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
