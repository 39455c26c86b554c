// A share holder that joined while a key was central must leave that key to the primary for as
// long as it stays central (a key kept at its limit), not only for one drain. Found by a mutation run.
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { type SimWorker, sharesMachine } from '../../../test/helpers/rateLimitShares.js';
import type { RateLimitRule } from '../../resilience/index.js';

const GCRA: RateLimitRule = Object.freeze({
  algorithm: 'gcra',
  keyPrefix: 'g:',
  emissionIntervalMs: 1_000,
  burst: 4,
  toleranceMs: 4_000,
  epsilonMs: 1e-4,
});

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['performance', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
});
afterEach(() => vi.useRealTimers());

it('never lets a newcomer decide alone a key that stayed central since before it joined', async () => {
  const machine = sharesMachine(3);
  const [w0, , w2] = machine.workers as [SimWorker, SimWorker, SimWorker];
  const call = (w: SimWorker, key: string) => w.client.consume(key, GCRA, 1, performance.now());
  let allowed = 0;
  for (let i = 0; i < 6; i++) if ((await call(w0, 'k')).allowed) allowed++;
  expect(allowed).toBe(4); // 'k' is full and central
  await call(w2, 'other'); // worker 2 joins now: it must wait one drain (4 s)
  for (let s = 0; s < 10; s++) {
    await vi.advanceTimersByTimeAsync(1_000);
    expect((await call(w0, 'k')).allowed).toBe(true); // one a second: 'k' stays full, and central
  }
  const asks = vi.spyOn(machine.service, 'call');
  expect((await call(w2, 'k')).allowed).toBe(false); // FAILS: allowed on worker 2's share
  expect(asks).toHaveBeenCalled(); // FAILS: decided without asking the primary
});
