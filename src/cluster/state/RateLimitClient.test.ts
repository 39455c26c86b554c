import { describe, expect, it, vi } from 'vitest';
import {
  GCRA_4,
  type SimWorker,
  sharesMachine,
  useShareTimers,
} from '../../../test/helpers/rateLimitShares.js';
import { TimeoutError } from '../../core/errors/TimeoutError.js';
import type { PrimaryLink } from './PrimaryLink.js';
import { RateLimitClient } from './RateLimitClient.js';
import { RateLimitService, RL_CONSUME, RL_RULE, RL_SURRENDER } from './RateLimitService.js';

const GCRA = GCRA_4;

type Machine = ReturnType<typeof sharesMachine>;
/** Calls of `op` the primary was asked so far, with their arguments. */
function callsOf(machine: Machine) {
  const spy = vi.spyOn(machine.service, 'call');
  return (op: string) => spy.mock.calls.filter(([, o]) => o === op).map(([owner, , args]) => [owner, args]);
}
const turns = async (n = 3) => {
  for (let i = 0; i < n; i++) await new Promise(setImmediate);
};

// A worker's side: what it decides alone, what it asks, and the primary's messages it takes.
describe('RateLimitClient', () => {
  useShareTimers();

  it('refuses alone any call costing at least the refused one, until just before the primary would allow it', async () => {
    const machine = sharesMachine(2);
    const client = (machine.workers[0] as SimWorker).client;
    const consume = (cost: number) => client.consume('k', GCRA, cost, performance.now());
    for (let i = 0; i < 4; i++) expect((await consume(1)).allowed).toBe(true);
    // The key is central and full: the primary refuses for 1 s, and the bucket empties in 4 s.
    expect(await consume(1)).toMatchObject({ allowed: false, resetMs: 4_000, retryAfterMs: 1_000 });
    const asked = callsOf(machine);
    vi.advanceTimersByTime(500);
    expect(await consume(1)).toEqual({ allowed: false, remaining: 0, resetMs: 3_500, retryAfterMs: 499 });
    expect(await consume(3)).toMatchObject({ allowed: false, retryAfterMs: 499 });
    expect(asked(RL_CONSUME)).toEqual([]);
    // Its remembered wait ends a millisecond early: from then on it asks.
    vi.advanceTimersByTime(499);
    expect(await consume(1)).toMatchObject({ allowed: false, retryAfterMs: 1 });
    expect(asked(RL_CONSUME)).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(await consume(1)).toMatchObject({ allowed: true });
    expect(asked(RL_CONSUME)).toHaveLength(2);
  });

  it('remembers a cost that can never pass as refused for good', async () => {
    const machine = sharesMachine(2);
    const client = (machine.workers[0] as SimWorker).client;
    const consume = (cost: number) => client.consume('k', GCRA, cost, performance.now());
    expect(await consume(1)).toMatchObject({ allowed: true });
    // More than its share: the primary merges the key, and 5 is more than its burst of 4.
    expect(await consume(5)).toMatchObject({ allowed: false, retryAfterMs: Number.POSITIVE_INFINITY });
    const asked = callsOf(machine);
    vi.advanceTimersByTime(60_000);
    expect(await consume(6)).toMatchObject({ allowed: false, retryAfterMs: Number.POSITIVE_INFINITY });
    expect(asked(RL_CONSUME)).toEqual([]);
    // A cost that can pass asks (in central mode: the worker surrendered its share of the key).
    expect(await consume(4)).toMatchObject({ allowed: true });
    expect(asked(RL_CONSUME)[0]).toEqual([machine.workers[0]?.pid, [0, 'k', 4, 2]]);
  });

  it('answers every well-formed recall, for a rule it holds no share of with nothing used', async () => {
    const machine = sharesMachine(2);
    const worker = machine.workers[0] as SimWorker;
    expect(await worker.client.consume('k', GCRA, 2, performance.now())).toMatchObject({ allowed: true });
    const asked = callsOf(machine);
    const message = (type: string, items: unknown[]) => ({ loadstone: 1, type, items });
    worker.client.receive(message('state:split', [null, 'x', 7, [5, 'k']]));
    worker.client.receive(message('state:recall', [null, 'x', [0, 0], [1, 0, 5]]));
    worker.client.receive(message('state:replies', [[7, 0, 'k']]));
    expect(await worker.client.consume('j', GCRA, 1, performance.now())).toMatchObject({ allowed: true });
    worker.client.receive(
      message('state:recall', [
        [7, 99, 'k'],
        [8, 0, 'k'],
        [9, 0, 'j'],
      ]),
    );
    await turns();
    // 'k' held 2 of this worker's share of 2, 'j' 1.
    expect(asked(RL_SURRENDER)).toEqual([
      [worker.pid, [7, 0]],
      [worker.pid, [8, 2]],
      [worker.pid, [9, 1]],
    ]);
    // Surrendered: its calls go to the primary, until the primary says a key is split again.
    worker.client.receive(message('state:split', [[0, 'j']]));
    await worker.client.consume('j', GCRA, 0, performance.now());
    expect(asked(RL_CONSUME)).toEqual([]);
    await worker.client.consume('k', GCRA, 0, performance.now());
    expect(asked(RL_CONSUME)).toEqual([[worker.pid, [0, 'k', 0, 2]]]);
  });

  it('ignores the primary’s messages before it declared a rule', () => {
    const client = new RateLimitClient({ call: () => Promise.resolve(null) }, false);
    expect(() => client.receive({ loadstone: 1, type: 'state:recall', items: [[0, 0, 'k']] })).not.toThrow();
  });

  it('declares a rule again after its declaration failed, and decides with it then', async () => {
    const service = new RateLimitService(2, () => {});
    let reachable = false;
    const ops: string[] = [];
    const link: PrimaryLink = {
      call: (op, args) => {
        ops.push(op);
        if (!reachable) return Promise.reject(new TimeoutError('cluster state call', 5_000));
        return new Promise((resolve) => resolve(service.call(7, op, args)));
      },
    };
    const client = new RateLimitClient(link, false);
    await expect(client.consume('k', GCRA, 1, performance.now())).rejects.toMatchObject({
      code: 'ERR_LOADSTONE_TIMEOUT',
    });
    reachable = true;
    const decision = await client.consume('k', GCRA, 1, performance.now());
    expect(decision).toMatchObject({ allowed: true });
    expect(ops).toEqual([RL_RULE, RL_CONSUME, RL_RULE, RL_CONSUME]);
    // Declared now: the next call is decided on its share, without asking.
    expect(client.consume('k', GCRA, 1, performance.now())).toMatchObject({ allowed: true });
    expect(ops).toHaveLength(4);
  });

  it.each([
    ['no share', [0, 0, 0]],
    ['more than the whole key', [0, 1.5, 0]],
    ['a namespace that is not an integer', [0.5, 0.5, 0]],
  ])('asks the primary for every call when its rule comes back with %s', async (_name, reply) => {
    const ops: unknown[] = [];
    const link: PrimaryLink = {
      call: (op, args) => {
        ops.push(op === RL_CONSUME ? args : op);
        return Promise.resolve(op === RL_RULE ? reply : [1, 3, 1_000, 0]);
      },
    };
    const client = new RateLimitClient(link, false);
    for (let i = 0; i < 3; i++) expect(await client.consume('k', GCRA, 1, 0)).toMatchObject({ remaining: 3 });
    // Each as a caller with no share (mode 0): never one whose share refused, nor one that surrendered.
    expect(ops).toEqual([RL_RULE, ...Array(3).fill([0, 'k', 1, 0])]);
  });

  it('listens for the primary’s messages on `process` once, unless fed by hand', async () => {
    const before = process.listeners('message');
    const surrendered: unknown[] = [];
    const link = (share: number): PrimaryLink => ({
      call: (op, args) => {
        if (op === RL_SURRENDER) surrendered.push(args);
        return Promise.resolve(op === RL_RULE ? [share, 0.5, 0] : 0);
      },
    });
    const fed = new RateLimitClient(link(0), false);
    await fed.consume('k', GCRA, 1, 0);
    expect(process.listeners('message')).toEqual(before);
    const listening = new RateLimitClient(link(1));
    try {
      await listening.consume('k', GCRA, 1, 0);
      await listening.consume('k', { ...GCRA }, 1, 0); // a second rule: still one listener
      expect(process.listenerCount('message')).toBe(before.length + 1);
      const added = process.listeners('message').filter((listener) => !before.includes(listener));
      expect(added).toHaveLength(1);
      added[0]?.({ loadstone: 1, type: 'state:recall', items: [[3, 1, 'k']] }, undefined);
      expect(surrendered).toEqual([[3, 2]]); // 'k' held 2 units of its share
    } finally {
      for (const listener of process.listeners('message')) {
        if (!before.includes(listener)) process.off('message', listener);
      }
    }
  });

  it('leaves to the primary the keys it was told are central when it joined, and decides the rest', async () => {
    const machine = sharesMachine(3);
    const [first, , newcomer] = machine.workers as [SimWorker, SimWorker, SimWorker];
    for (let i = 0; i < 3; i++) await first.client.consume('k', GCRA, 1, performance.now());
    expect(machine.service.size).toBe(1); // 'k' is central
    await newcomer.client.consume('j', GCRA, 0, performance.now()); // declares the rule
    const asked = callsOf(machine);
    expect(await newcomer.client.consume('k', GCRA, 1, performance.now())).toMatchObject({ allowed: true });
    expect(newcomer.client.consume('i', GCRA, 1, performance.now())).toMatchObject({ allowed: true });
    expect(asked(RL_CONSUME)).toHaveLength(1); // 'k' only
  });

  /** A client whose primary gives it `[namespace, fraction, central]` for each rule and says "decide locally". */
  function shareHolder(reply: (rule: { keyPrefix: string; limit?: number }) => readonly unknown[]) {
    const calls: [string, unknown[]][] = [];
    const link: PrimaryLink = {
      call: (op, args) => {
        calls.push([op, args]);
        return Promise.resolve(op === RL_RULE ? reply(args[1] as never) : op === RL_CONSUME ? 0 : null);
      },
    };
    return { client: new RateLimitClient(link, false), calls };
  }

  it('leaves the keys the primary named central to it from the start, and decides the others alone', async () => {
    const { client, calls } = shareHolder(() => [0, 0.5, ['hot', 7]]);
    expect(await client.consume('k', GCRA, 1, 0)).toMatchObject({ allowed: true });
    expect(client.consume('j', GCRA, 1, 0)).toMatchObject({ allowed: true });
    await client.consume('hot', GCRA, 1, 0);
    expect(calls.map(([op, args]) => (op === RL_CONSUME ? args[3] : op))).toEqual([RL_RULE, 0, 2]);
  });

  it('keeps the keys of each of its rules apart on its shares', async () => {
    const { client } = shareHolder((rule) => [rule.limit === 10 ? 0 : 1, 1, []]);
    const rule = { algorithm: 'sliding-window', keyPrefix: 'w:', limit: 10, periodMs: 60_000 } as const;
    expect(await client.consume('k', rule, 10, 0)).toMatchObject({ allowed: true, remaining: 0 });
    expect(await client.consume('k', { ...rule, limit: 20 }, 1, 0)).toMatchObject({ remaining: 19 });
  });

  it('holds one share of a rule, however many limiters declare it', async () => {
    const { client, calls } = shareHolder(() => [0, 0.5, []]);
    const [one, two] = [{ ...GCRA }, { ...GCRA }];
    expect(await client.consume('k', one, 1, 0)).toMatchObject({ allowed: true });
    expect(await client.consume('k', two, 1, 0)).toMatchObject({ allowed: true, remaining: 0 });
    client.receive({ loadstone: 1, type: 'state:recall', items: [[0, 0, 'k']] });
    // Surrendered for both: the first limiter's next call for 'k' asks the primary too.
    const asked = calls.length;
    await client.consume('k', one, 0, 0);
    expect(calls.slice(asked).map(([op, args]) => [op, args[3]])).toEqual([[RL_CONSUME, 2]]);
  });

  it('tells a recall the cost its share of the key holds at its latest decision', async () => {
    const { client, calls } = shareHolder(() => [0, 0.5, []]);
    // Its share: 2 units, one every 2 s. 'k' holds 2 at 1 s; a limiter on an older clock calls 'j'.
    await client.consume('k', GCRA, 2, 1_000);
    await client.consume('j', GCRA, 1, 0);
    client.receive({ loadstone: 1, type: 'state:recall', items: [[4, 0, 'k']] });
    expect(calls.at(-1)).toEqual([RL_SURRENDER, [4, 2]]);
  });
});
