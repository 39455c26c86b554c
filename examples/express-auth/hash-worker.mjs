// The task module of the password pool: runs inside WorkerThreadPool threads, never on a
// server's event loop. scrypt is slow on purpose (tens of ms at N = 16384). It runs synchronously
// here: the thread is the unit the pool bounds, queues and measures (async `crypto.scrypt` would
// go to libuv's 4 threads instead, shared with fs and dns and invisible to the pool's stats).
//
// Plain JavaScript: on Node 20 a worker thread cannot load TypeScript through tsx (module hooks
// given in a Worker's execArgv are not applied before Node 22.2, nodejs/node#47747).
import { scryptSync, timingSafeEqual } from 'node:crypto';

const KEY_LENGTH = 64;

/** @param {{ password: string, salt: string, cost: number }} input */
function derive({ password, salt, cost }) {
  // r = 8, p = 1 (Node's defaults); maxmem fits 128 * N * r bytes for every N up to 2^17.
  return scryptSync(password, Buffer.from(salt, 'hex'), KEY_LENGTH, { N: cost, maxmem: 256 * 1024 * 1024 });
}

/**
 * Hashes a new password.
 * @param {{ password: string, salt: string, cost: number }} input - salt in hex, cost = scrypt N
 * @returns {string} the scrypt key, in hex
 */
export function hash(input) {
  return derive(input).toString('hex');
}

/**
 * Checks a password against a stored key, in constant time.
 * @param {{ password: string, salt: string, cost: number, expected: string }} input - expected in hex
 * @returns {boolean}
 */
export function verify(input) {
  const actual = derive(input);
  const expected = Buffer.from(input.expected, 'hex');
  return expected.length === actual.length && timingSafeEqual(actual, expected);
}
