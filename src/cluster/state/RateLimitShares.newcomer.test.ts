// A share holder that joined while a key was central must leave that key to the primary for as
// long as it stays central (a key kept at its limit), not only for one drain. Found by a mutation run.
import { expect, it, vi } from 'vitest';
import {
  GCRA_4,
  type SimWorker,
  sharesMachine,
  useShareTimers,
} from '../../../test/helpers/rateLimitShares.js';

const GCRA = GCRA_4;

useShareTimers();

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
