import { InvalidOptionError } from '../core/errors/InvalidOptionError.js';

const TWO_POW_32 = 4294967296;
const UINT64_LIMIT = 1n << 64n;
// The multiplier of the reference implementation's linear congruential step, as 32-bit halves.
const MUL_HI = 0x27bb2ee6;
const MUL_LO = 0x87b0b0fd;

/**
 * Jump consistent hash (Lamping & Veach, 2014): maps a 64-bit key to one of `buckets` buckets so
 * that growing from n to n+1 buckets moves only 1/(n+1) of the keys, all of them to the new
 * bucket. Reproduces the reference C++ implementation's outputs exactly (it is tested against
 * the published vectors and against a BigInt transcription of the reference).
 *
 * @param key - the key: a `bigint` in `[0, 2^64)`, or a non-negative safe-integer `number`
 *   (the fast path: no BigInt arithmetic).
 * @param buckets - the number of buckets, an integer from 1 to 2^31 − 1.
 * @returns the bucket, in `[0, buckets)`.
 * @throws {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION` for a key or bucket count
 *   out of range (the reference returns 0 for a non-positive count; we refuse it).
 *
 * @example
 * {@includeCode ./jumpHash.test.ts#jumpHash}
 */
export function jumpHash(key: bigint | number, buckets: number): number {
  if (!Number.isInteger(buckets) || buckets < 1 || buckets > 0x7fffffff) {
    throw new InvalidOptionError('buckets', 'an integer from 1 to 2147483647', buckets);
  }
  if (typeof key === 'number') {
    if (!Number.isSafeInteger(key) || key < 0) {
      throw new InvalidOptionError('key', 'a non-negative safe integer or a bigint in [0, 2^64)', key);
    }
    return jumpHashWords(Math.floor(key / TWO_POW_32), key >>> 0, buckets);
  }
  if (typeof key !== 'bigint' || key < 0n || key >= UINT64_LIMIT) {
    throw new InvalidOptionError('key', 'a non-negative safe integer or a bigint in [0, 2^64)', key);
  }
  return jumpHashWords(Number(key >> 32n), Number(key & 0xffffffffn), buckets);
}

/**
 * The jump hash of the 64-bit key `hi·2^32 + lo`, with no validation: the sharder's hot path.
 * The 64-bit multiply is done in 16-bit limbs so every intermediate stays exact in a double.
 * @internal
 */
export function jumpHashWords(hi: number, lo: number, buckets: number): number {
  let keyHi = hi >>> 0;
  let keyLo = lo >>> 0;
  // Stryker disable next-line UnaryOperator: buckets >= 1, so the loop runs and sets b before it is read
  let b = -1;
  let j = 0;
  while (j < buckets) {
    b = j;
    // key = key * 2862933555777941757 + 1 (mod 2^64)
    const a0 = keyLo & 0xffff;
    const a1 = keyLo >>> 16;
    const p00 = a0 * (MUL_LO & 0xffff);
    const p01 = a0 * (MUL_LO >>> 16);
    const p10 = a1 * (MUL_LO & 0xffff);
    const p11 = a1 * (MUL_LO >>> 16);
    const mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
    const productHi = p11 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16);
    const productLo = ((mid & 0xffff) * 0x10000 + (p00 & 0xffff)) >>> 0;
    let nextHi = (productHi + Math.imul(keyHi, MUL_LO) + Math.imul(keyLo, MUL_HI)) >>> 0;
    let nextLo = productLo + 1;
    if (nextLo === TWO_POW_32) {
      nextLo = 0;
      nextHi = (nextHi + 1) >>> 0;
    }
    keyHi = nextHi;
    keyLo = nextLo;
    // j = (b + 1) * (2^31 / ((key >> 33) + 1)), in doubles exactly as the reference computes it.
    j = Math.floor((b + 1) * (2147483648 / ((keyHi >>> 1) + 1)));
  }
  return b;
}
