// Hash functions behind the sharder. Keys are hashed from their UTF-8 bytes, so the same key
// maps the same way in any language that implements the same hash; ASCII keys (the common case)
// skip encoding altogether.

let scratch = new Uint8Array(256);
let scratchView = new DataView(scratch.buffer);

/** Writes `key` as UTF-8 into the shared scratch buffer and returns the byte length. */
function encodeUtf8(key: string): number {
  const length = key.length;
  if (length * 3 > scratch.length) {
    scratch = new Uint8Array(length * 3 + 64);
    scratchView = new DataView(scratch.buffer);
  }
  let out = 0;
  for (let i = 0; i < length; i++) {
    let code = key.charCodeAt(i);
    if (code < 0x80) {
      scratch[out++] = code;
    } else if (code < 0x800) {
      scratch[out++] = 0xc0 | (code >> 6);
      scratch[out++] = 0x80 | (code & 0x3f);
    } else if (code >= 0xd800 && code <= 0xdbff && i + 1 < length) {
      const low = key.charCodeAt(i + 1);
      if (low >= 0xdc00 && low <= 0xdfff) {
        i++;
        code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
        scratch[out++] = 0xf0 | (code >> 18);
        scratch[out++] = 0x80 | ((code >> 12) & 0x3f);
        scratch[out++] = 0x80 | ((code >> 6) & 0x3f);
        scratch[out++] = 0x80 | (code & 0x3f);
      } else {
        out = writeReplacement(out);
      }
    } else if (code >= 0xd800 && code <= 0xdfff) {
      // A lone surrogate: TextEncoder writes U+FFFD, so do we.
      out = writeReplacement(out);
    } else {
      scratch[out++] = 0xe0 | (code >> 12);
      scratch[out++] = 0x80 | ((code >> 6) & 0x3f);
      scratch[out++] = 0x80 | (code & 0x3f);
    }
  }
  return out;
}

function writeReplacement(out: number): number {
  scratch[out] = 0xef;
  scratch[out + 1] = 0xbf;
  scratch[out + 2] = 0xbd;
  return out + 3;
}

/** MurmurHash3's step for one 4-byte block (small enough for V8 to inline). */
function mixBlock(hash: number, block: number): number {
  const h = hash ^ mixTail(block);
  return (Math.imul((h << 13) | (h >>> 19), 5) + 0xe6546b64) | 0;
}

/** MurmurHash3's scrambling of a block, or of the last 1–3 bytes. */
function mixTail(value: number): number {
  let k = Math.imul(value, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  return Math.imul(k, 0x1b873593);
}

/** MurmurHash3's 32-bit finaliser: a fast, well-mixing bijection on 32-bit integers. */
export function fmix32(value: number): number {
  let h = value;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function murmurBytes(length: number, seed: number): number {
  let h = seed >>> 0;
  const blocks = length & ~3;
  for (let i = 0; i < blocks; i += 4) {
    h = mixBlock(h, scratchView.getUint32(i, true));
  }
  const tail = length & 3;
  if (tail > 0) {
    let k = scratch[blocks] as number;
    if (tail > 1) k ^= (scratch[blocks + 1] as number) << 8;
    if (tail > 2) k ^= (scratch[blocks + 2] as number) << 16;
    h ^= mixTail(k);
  }
  return fmix32(h ^ length);
}

/**
 * MurmurHash3 (x86, 32-bit) of the UTF-8 bytes of `key`: the sharder's default key hash —
 * fast, well distributed, not cryptographic, and available under FIPS (MD5 is not).
 */
export function murmur3(key: string, seed = 0): number {
  // Fast path for ASCII (one byte per char): read the chars directly, no encoding pass. Any
  // char >= 0x80 shows up in `seen` and sends the key through the UTF-8 path instead.
  const length = key.length;
  let h = seed >>> 0;
  let seen = 0;
  const blocks = length & ~3;
  for (let i = 0; i < blocks; i += 4) {
    const c0 = key.charCodeAt(i);
    const c1 = key.charCodeAt(i + 1);
    const c2 = key.charCodeAt(i + 2);
    const c3 = key.charCodeAt(i + 3);
    seen |= c0 | c1 | c2 | c3;
    h = mixBlock(h, c0 | (c1 << 8) | (c2 << 16) | (c3 << 24));
  }
  const tail = length & 3;
  if (tail > 0) {
    const c0 = key.charCodeAt(blocks);
    const c1 = tail > 1 ? key.charCodeAt(blocks + 1) : 0;
    const c2 = tail > 2 ? key.charCodeAt(blocks + 2) : 0;
    seen |= c0 | c1 | c2;
    h ^= mixTail(c0 | (c1 << 8) | (c2 << 16));
  }
  if (seen >= 0x80) return murmurBytes(encodeUtf8(key), seed);
  return fmix32(h ^ length);
}

/** Two independent 32-bit hashes of `key` (one UTF-8 encoding), high word first: a 64-bit key. */
export function murmur3Pair(key: string, out: Uint32Array): void {
  const length = encodeUtf8(key);
  out[0] = murmurBytes(length, 0x9747b28c);
  out[1] = murmurBytes(length, 0);
}

// --- MD5, for ketama, whose definition it is. Written out in JS because, for keys of a few
// bytes, calling into node:crypto costs more than the hash (hashring spends ~1.8 µs per MD5).

const md5Block = new Int32Array(16);
const md5Tail = new Uint8Array(128);
const md5TailView = new DataView(md5Tail.buffer);
const md5Shifts = [7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21];
const md5K = Int32Array.from({ length: 64 }, (_, i) => Math.floor(Math.abs(Math.sin(i + 1)) * 2 ** 32) | 0);

/**
 * MD5 of the UTF-8 bytes of `key`, as four little-endian 32-bit words (what ketama reads:
 * word 0 is the key hash, words 0–3 are a server string's four continuum points).
 */
export function md5Words(key: string, out: Uint32Array): void {
  const length = encodeUtf8(key);
  let a0 = 0x67452301;
  let b0 = 0xefcdab89 | 0;
  let c0 = 0x98badcfe | 0;
  let d0 = 0x10325476;
  const full = length & ~63;
  const state = [a0, b0, c0, d0];
  for (let offset = 0; offset < full; offset += 64) {
    for (let i = 0; i < 16; i++) md5Block[i] = scratchView.getInt32(offset + i * 4, true);
    md5Compress(state);
  }
  // Tail: remaining bytes, 0x80, zero padding, bit length (64-bit little-endian).
  const rest = length - full;
  md5Tail.fill(0);
  for (let i = 0; i < rest; i++) md5Tail[i] = scratch[full + i] as number;
  md5Tail[rest] = 0x80;
  const tailBlocks = rest < 56 ? 1 : 2;
  const bits = length * 8;
  md5TailView.setUint32(tailBlocks * 64 - 8, bits >>> 0, true);
  md5TailView.setUint32(tailBlocks * 64 - 4, Math.floor(bits / 2 ** 32), true);
  for (let block = 0; block < tailBlocks; block++) {
    for (let i = 0; i < 16; i++) md5Block[i] = md5TailView.getInt32(block * 64 + i * 4, true);
    md5Compress(state);
  }
  [a0, b0, c0, d0] = state as [number, number, number, number];
  out[0] = a0;
  out[1] = b0;
  out[2] = c0;
  out[3] = d0;
}

function md5Compress(state: number[]): void {
  let a = state[0] as number;
  let b = state[1] as number;
  let c = state[2] as number;
  let d = state[3] as number;
  for (let i = 0; i < 64; i++) {
    let f: number;
    let g: number;
    if (i < 16) {
      f = (b & c) | (~b & d);
      g = i;
    } else if (i < 32) {
      f = (d & b) | (~d & c);
      g = (5 * i + 1) & 15;
    } else if (i < 48) {
      f = b ^ c ^ d;
      g = (3 * i + 5) & 15;
    } else {
      f = c ^ (b | ~d);
      g = (7 * i) & 15;
    }
    const shift = md5Shifts[((i >> 4) << 2) | (i & 3)] as number;
    const sum = (a + f + (md5K[i] as number) + (md5Block[g] as number)) | 0;
    a = d;
    d = c;
    c = b;
    b = (b + ((sum << shift) | (sum >>> (32 - shift)))) | 0;
  }
  state[0] = ((state[0] as number) + a) | 0;
  state[1] = ((state[1] as number) + b) | 0;
  state[2] = ((state[2] as number) + c) | 0;
  state[3] = ((state[3] as number) + d) | 0;
}
