import { describe, expect, it, vi } from 'vitest';
import { GCRA_4, sharesMachine, useShareTimers } from '../../../test/helpers/rateLimitShares.js';
import type { RateLimitRule } from '../../resilience/index.js';
import { RECALL_TIMEOUT_MS } from './RateLimitNamespace.js';
import { RL_CONSUME, SWEEP_MS } from './RateLimitService.js';

const WINDOW: RateLimitRule = Object.freeze({
  algorithm: 'sliding-window',
  keyPrefix: 'w:',
  limit: 10,
  periodMs: 60_000,
});
const GCRA = GCRA_4;

/** Makes `count` calls of cost 1 from `worker`, one after another; returns how many were allowed. */
async function allowed(
  machine: ReturnType<typeof sharesMachine>,
  worker: number,
  count: number,
  rule = WINDOW,
  key = 'k',
): Promise<number> {
  let n = 0;
  for (let i = 0; i < count; i++) {
    const d = await machine.workers[worker]?.client.consume(key, rule, 1, performance.now());
    if (d?.allowed) n++;
  }
  return n;
}

/** Counts the calls the primary is asked to decide. */
function countAsks(machine: ReturnType<typeof sharesMachine>) {
  const spy = vi.spyOn(machine.service, 'call');
  return () => spy.mock.calls.filter(([, op]) => op === RL_CONSUME).length;
}

describe('ClusterRateLimitStore shares', () => {
  useShareTimers();

  it('decides a key on each worker’s share alone, and asks the primary only at the share’s end', async () => {
    const machine = sharesMachine(2);
    const asks = countAsks(machine);
    expect(await allowed(machine, 0, 5)).toBe(5); // 5 is worker 0's half of 10
    expect(asks()).toBe(1); // the first call, made before the rule's share was known
    expect(machine.service.size).toBe(0);
    expect(await allowed(machine, 1, 3)).toBe(3);
    // Worker 0's share is spent: the primary gathers both shares (5 + 3) and decides exactly.
    expect(await allowed(machine, 0, 4)).toBe(2);
    expect(await allowed(machine, 1, 2)).toBe(0);
    expect(machine.service.size).toBe(1);
  });

  it('counts the share of a worker that dies as full until it has drained, then gives its slot again', async () => {
    const machine = sharesMachine(3, 2);
    expect(await allowed(machine, 0, 1, GCRA)).toBe(1);
    machine.workers[0]?.kill();
    // Worker 1 holds the other share; worker 2 found no free slot and asks for every call.
    expect(await allowed(machine, 2, 1, GCRA, 'other')).toBe(1);
    // The dead share (2 of 4) counts as spent: 2 left for the key, whoever asks.
    expect(await allowed(machine, 1, 4, GCRA)).toBe(2);
    vi.advanceTimersByTime(GCRA.toleranceMs);
    // Drained: the dead worker's slot is free again, and worker 2 takes it when it declares a rule.
    const rule = { ...GCRA, keyPrefix: 'h:' };
    await allowed(machine, 2, 1, GCRA);
    expect(await machine.workers[2]?.client.consume('x', rule, 0, performance.now())).toMatchObject({
      allowed: true,
    });
  });

  it('counts the share of a holder that does not answer a recall within a second as full', async () => {
    const machine = sharesMachine(2);
    expect(await allowed(machine, 1, 2)).toBe(2);
    // Worker 1 stops reading the primary's messages (a stuck event loop).
    const stuck = machine.workers[1] as NonNullable<(typeof machine.workers)[1]>;
    const receive = vi.spyOn(stuck.client, 'receive').mockImplementation(() => {});
    expect(await allowed(machine, 0, 5)).toBe(5);
    const waiting = machine.workers[0]?.client.consume('k', WINDOW, 1, performance.now());
    await vi.advanceTimersByTimeAsync(RECALL_TIMEOUT_MS);
    // Worker 1's share counted as full (5): 5 + 5 = 10, nothing left.
    expect((await waiting)?.allowed).toBe(false);
    receive.mockRestore();
  });

  it('splits a central key again once it is back to empty, and tells every holder', async () => {
    const machine = sharesMachine(2);
    const asks = countAsks(machine);
    expect(await allowed(machine, 1, 1, GCRA)).toBe(1);
    expect(await allowed(machine, 0, 7, GCRA)).toBe(3);
    expect(machine.service.size).toBe(1);
    const before = asks();
    await vi.advanceTimersByTimeAsync(GCRA.toleranceMs + SWEEP_MS);
    expect(machine.service.size).toBe(0);
    for (let turn = 0; turn < 3; turn++) await new Promise(setImmediate); // the primary's send, the channel
    expect(machine.workers[1]?.received.map((m) => m.type)).toEqual(['state:recall', 'state:split']);
    // Back on the shares: no call goes to the primary.
    expect(await allowed(machine, 1, 2, GCRA)).toBe(2);
    expect(await allowed(machine, 0, 2, GCRA)).toBe(2);
    expect(asks()).toBe(before);
  });

  it('tells a newcomer the keys the primary decides, and lets it decide the others alone', async () => {
    const machine = sharesMachine(3, 3);
    expect(await allowed(machine, 0, 8)).toBe(8); // its share (3.3) ran out: the key went central
    expect(machine.service.size).toBe(1);
    // Worker 2 declares the rule only now (its first call asks, before it knows its share).
    expect(await allowed(machine, 2, 1, WINDOW, 'fresh')).toBe(1);
    const asks = countAsks(machine);
    expect(await allowed(machine, 2, 4)).toBe(2); // 'k': the primary decides, then its refusal stands
    expect(await allowed(machine, 2, 2, WINDOW, 'fresh')).toBe(2); // its own share
    expect(asks()).toBe(3); // two allowed, one refused; the fourth call is refused on the worker
  });

  it('refuses a key the primary refused alone, until the primary’s wait is over', async () => {
    const machine = sharesMachine(2);
    const worker = machine.workers[0] as NonNullable<(typeof machine.workers)[0]>;
    expect(await allowed(machine, 0, 4, GCRA)).toBe(4);
    const asks = countAsks(machine);
    const refused = await worker.client.consume('k', GCRA, 1, performance.now());
    expect(refused).toMatchObject({ allowed: false, remaining: 0 });
    expect(asks()).toBe(1);
    const wait = refused.retryAfterMs;
    expect(wait).toBeGreaterThan(900);
    vi.advanceTimersByTime(wait - 2);
    // Still waiting: refused on the worker, with what is left of the wait.
    expect(await worker.client.consume('k', GCRA, 1, performance.now())).toMatchObject({
      allowed: false,
      retryAfterMs: 1,
    });
    // A smaller cost was never refused: it asks (and a cost of 0 only reads).
    expect(await worker.client.consume('k', GCRA, 0, performance.now())).toMatchObject({ allowed: true });
    expect(asks()).toBe(2);
    vi.advanceTimersByTime(2);
    expect(await worker.client.consume('k', GCRA, 1, performance.now())).toMatchObject({ allowed: true });
    expect(asks()).toBe(3);
  });

  it('keeps rules with the same prefix but another limit apart', async () => {
    const machine = sharesMachine(2);
    const tighter = { ...WINDOW, limit: 2 };
    expect(await allowed(machine, 0, 3, tighter)).toBe(2);
    expect(await allowed(machine, 0, 3)).toBe(3);
  });

  it('treats keys as data: __proto__ and constructor are ordinary keys', async () => {
    const machine = sharesMachine(2);
    expect(await allowed(machine, 0, 12, WINDOW, '__proto__')).toBe(10);
    expect(await allowed(machine, 1, 12, WINDOW, 'constructor')).toBe(10);
  });
});
