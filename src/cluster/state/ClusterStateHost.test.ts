import type { Worker } from 'node:cluster';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { expectInvalidOption } from '../../../test/helpers/expectInvalidOption.js';
import { ClusterStateHost, stateHostLinks } from './ClusterStateHost.js';
import { WORKER_EXITED_CHANNEL, WORKER_ONLINE_CHANNEL } from './lifecycleNotices.js';

type FakeWorker = Worker & { sent: { type: string; items: unknown[] }[] };

function fakeWorker(pid: number, connected = true): FakeWorker {
  const sent: unknown[] = [];
  return {
    sent,
    process: { pid },
    isConnected: () => connected,
    send: (message: unknown) => {
      sent.push(message);
      return true;
    },
  } as unknown as FakeWorker;
}

const calls = (...items: unknown[]) => ({ loadstone: 1, type: 'state:calls', items });
/** Sends `items` from `worker` and returns the one reply message's items. */
function ask(host: ClusterStateHost, worker: FakeWorker, ...items: unknown[]): unknown[] {
  const before = worker.sent.length;
  expect(host.receive(worker, calls(...items))).toBe(true);
  expect(worker.sent).toHaveLength(before + 1);
  const reply = worker.sent.at(-1);
  expect(reply?.type).toBe('state:replies');
  return reply?.items ?? [];
}

const GCRA = { algorithm: 'gcra', keyPrefix: 'p:', emissionIntervalMs: 1000, burst: 2, toleranceMs: 2000 };
const WINDOW = { algorithm: 'sliding-window', keyPrefix: 'w:', limit: 3, periodMs: 60_000 };

describe('ClusterStateHost', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('example: feeding a host from a hand-written primary', () => {
    const cluster = { on: (_event: string, _fn: (...args: never[]) => void) => {} };
    // #region host
    const host = new ClusterStateHost();
    cluster.on('message', (worker: Worker, message: unknown) => {
      host.receive(worker, message); // false for anything that is not a state:calls message
    });
    cluster.on('exit', (worker: Worker) => host.workerExited(worker.process.pid ?? -1));
    // #endregion host
    expect(host.stats()).toEqual({
      calls: 0,
      failed: 0,
      dropped: 0,
      rateLimitKeys: 0,
      locks: 0,
      permits: 0,
      permitWaiters: 0,
    });
  });

  it('answers every call of one message in one reply, in order', () => {
    const host = new ClusterStateHost({ shares: 4 });
    const w = fakeWorker(101);
    const replies = ask(
      host,
      w,
      [0, 'rl.rule', 7, GCRA],
      [1, 'rl.consume', 7, 'k', 1],
      [2, 'lock.acquire', 'k', 1000],
      [3, 'rl.consume', 7, 'k', 0.5],
    );
    expect(replies.map((r) => (r as unknown[]).slice(0, 2))).toEqual([
      [0, 0],
      [1, 0],
      [2, 0],
      [3, 1],
    ]);
    // The rule's namespace, this worker's part of each key, and no wait before deciding on it.
    expect((replies[0] as unknown[])[2]).toEqual([0, 0.25, []]);
    expect((replies[1] as unknown[])[2]).toBe(0); // a split key: decide it on your share
    expect(typeof (replies[2] as unknown[])[2]).toBe('string'); // a lock token
    expect(host.stats()).toMatchObject({ calls: 4, failed: 1, rateLimitKeys: 0, locks: 1 });
  });

  it('recalls a key’s shares from every holder when one holder’s share runs out', async () => {
    const host = new ClusterStateHost({ shares: 2 });
    const [a, b] = [fakeWorker(1), fakeWorker(2)];
    // Rule ids are per process: both use id 0 for different rule objects with the same rule.
    ask(host, a, [0, 'rl.rule', 0, WINDOW]);
    ask(host, b, [0, 'rl.rule', 0, WINDOW]);
    expect(host.receive(a, calls([1, 'rl.consume', 0, 'user', 1, 1]))).toBe(true);
    await new Promise(setImmediate);
    const recalls = [a, b].map((w) => w.sent.find((m) => m.type === 'state:recall')?.items);
    expect(recalls).toEqual([[[0, 0, 'user']], [[1, 0, 'user']]]);
    ask(host, b, [1, 'rl.surrender', 1, 1]);
    ask(host, a, [2, 'rl.surrender', 0, 1.5]);
    await Promise.resolve();
    // a's call waited for the merge, and is answered in a message of its own: 2.5 of 3 spent.
    const decided = a.sent.filter((m) => m.type === 'state:replies').at(-1)?.items as unknown[][];
    expect(decided).toEqual([[1, 0, [0, 0, expect.any(Number), expect.any(Number)]]]);
    expect(host.stats().rateLimitKeys).toBe(1);
  });

  it('encodes a cost that can never pass as retryAfterMs -1 (JSON has no Infinity)', () => {
    const host = new ClusterStateHost();
    const primary = stateHostLinks.get(host);
    primary?.call('rl.rule', [0, WINDOW]);
    const decision = primary?.call('rl.consume', [0, 'k', 4]) as number[];
    expect(decision[0]).toBe(0);
    expect(decision[3]).toBe(-1);
  });

  it.each([
    ['an undeclared rule', [1, 'rl.consume', 99, 'k', 1]],
    ['a key that is not a string', [1, 'rl.consume', 0, { toString: 1 }, 1]],
    ['an overlong key', [1, 'rl.consume', 0, 'k'.repeat(4097), 1]],
    ['a negative cost', [1, 'rl.consume', 0, 'k', -1]],
    ['a fractional cost', [1, 'rl.consume', 0, 'k', 0.5]],
    ['an unknown operation', [1, 'rl.explode', 0]],
    ['a rule of no known algorithm', [1, 'rl.rule', 1, { ...WINDOW, algorithm: 'token-bucket' }]],
    ['a rule with a zero period', [1, 'rl.rule', 1, { ...WINDOW, periodMs: 0 }]],
    ['a rule with an infinite interval', [1, 'rl.rule', 1, { ...GCRA, emissionIntervalMs: Infinity }]],
    ['a rule id that is not an integer', [1, 'rl.rule', 'x', WINDOW]],
    ['a lock ttl of 0', [1, 'lock.acquire', 'k', 0]],
    ['a lock key that is a number', [1, 'lock.acquire', 5, 100]],
  ])('answers %s with a coded error, and keeps serving', (_name, call) => {
    const host = new ClusterStateHost();
    const w = fakeWorker(1);
    ask(host, w, [0, 'rl.rule', 0, WINDOW]);
    const [reply] = ask(host, w, call) as [unknown[]];
    expect(reply.slice(0, 3)).toEqual([1, 1, 'ERR_LOADSTONE_INVALID_OPTION']);
    expect(typeof reply[3]).toBe('string');
    expect(host.stats().failed).toBe(1);
    expect((ask(host, w, [2, 'rl.consume', 0, 'k', 1])[0] as unknown[])[1]).toBe(0);
  });

  it('drops malformed messages and calls without answering them, never throwing', () => {
    const host = new ClusterStateHost();
    const w = fakeWorker(1);
    expect(host.receive(w, { loadstone: 1, type: 'state:calls', items: 'nope' })).toBe(false);
    expect(host.receive(w, { loadstone: 1, type: 'state:calls', items: new Array(10_001).fill(0) })).toBe(
      false,
    );
    expect(host.receive(w, { loadstone: 1, type: 'bus:publish' })).toBe(false);
    expect(host.receive(w, null)).toBe(false);
    expect(host.receive(w, calls('x', [-1, 'rl.rule'], [1.5, 'rl.rule'], [1, 2]))).toBe(true);
    expect(w.sent).toEqual([]);
    expect(host.stats().dropped).toBe(4);
  });

  it('does not reply to a worker whose channel closed', () => {
    const host = new ClusterStateHost();
    const w = fakeWorker(1, false);
    expect(host.receive(w, calls([0, 'lock.acquire', 'k', 100]))).toBe(true);
    expect(w.sent).toEqual([]);
    expect(host.stats().locks).toBe(1);
  });

  it.each([
    [{ shares: 0 }, 'options.shares', 'an integer from 1 to 1024'],
    [{ shares: 1_025 }, 'options.shares', 'an integer from 1 to 1024'],
    [{ shares: 1.5 }, 'options.shares', 'an integer from 1 to 1024'],
    [{ share: 2 }, 'options.share', 'absent'],
    ['4', 'options', 'an object'],
  ])('refuses the options %j with a coded error', (options, option, expected) => {
    expectInvalidOption(() => new ClusterStateHost(options as never), option, expected);
  });

  it('gives at most `shares` workers a share of a rule, and the one share of a worker that asks again', () => {
    const host = new ClusterStateHost({ shares: 1_024 });
    const one = new ClusterStateHost({ shares: 1 });
    const rule = (pid: number, on = one) =>
      (ask(on, fakeWorker(pid), [0, 'rl.rule', 0, WINDOW])[0] as unknown[])[2];
    expect(rule(1, host)).toEqual([0, 1 / 1_024, []]);
    expect(rule(1)).toEqual([0, 1, []]);
    expect(rule(1)).toEqual([0, 1, []]);
    expect(rule(2)).toEqual([0, 0, []]); // no share left: the primary decides its calls
  });

  it('forgets a process’s rules when it exits', () => {
    const host = new ClusterStateHost();
    const w = fakeWorker(1);
    ask(host, w, [0, 'rl.rule', 0, WINDOW]);
    host.workerExited(1);
    const [reply] = ask(host, w, [1, 'rl.consume', 0, 'k', 1]) as [unknown[]];
    expect(reply[2]).toBe('ERR_LOADSTONE_INVALID_OPTION');
  });

  it('caps the rules one process may declare', () => {
    const host = new ClusterStateHost();
    const w = fakeWorker(1);
    const declare = Array.from({ length: 1001 }, (_, i) => [i, 'rl.rule', i, WINDOW]);
    const replies = ask(host, w, ...declare) as unknown[][];
    expect(replies.slice(0, 1000).every((r) => r[1] === 0)).toBe(true);
    expect(replies[1000]?.[2]).toBe('ERR_LOADSTONE_CAPACITY');
    // Redeclaring a known id is not a new rule.
    expect((ask(host, w, [0, 'rl.rule', 5, GCRA])[0] as unknown[])[1]).toBe(0);
  });
});

describe('ClusterStateHost locks', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  const acquire = (host: ClusterStateHost, w: FakeWorker, key: string, ttlMs = 60_000) =>
    (ask(host, w, [0, 'lock.acquire', key, ttlMs])[0] as unknown[])[2];
  const release = (host: ClusterStateHost, w: FakeWorker, key: string, token: unknown) =>
    ask(host, w, [0, 'lock.release', key, token]);

  it('gives a key to one holder at a time, and back on release by its token only', () => {
    const host = new ClusterStateHost();
    const [a, b] = [fakeWorker(1), fakeWorker(2)];
    const token = acquire(host, a, 'user:1');
    expect(typeof token).toBe('string');
    expect(acquire(host, b, 'user:1')).toBeNull();
    expect(acquire(host, b, 'user:2')).toEqual(expect.any(String));
    release(host, b, 'user:1', 'forged');
    expect(acquire(host, b, 'user:1')).toBeNull();
    release(host, a, 'user:1', token);
    expect(acquire(host, b, 'user:1')).toEqual(expect.any(String));
    expect(acquire(host, a, 'user:1')).toBeNull();
  });

  it('treats keys as data: __proto__ and constructor are ordinary keys', () => {
    const host = new ClusterStateHost();
    const a = fakeWorker(1);
    for (const key of ['__proto__', 'constructor', 'hasOwnProperty']) {
      expect(acquire(host, a, key)).toEqual(expect.any(String));
      expect(acquire(host, a, key)).toBeNull();
    }
    expect(host.stats().locks).toBe(3);
  });

  it('releases every lock of a process that exits, and only its', () => {
    const host = new ClusterStateHost();
    const [a, b] = [fakeWorker(1), fakeWorker(2)];
    acquire(host, a, 'x');
    acquire(host, a, 'y');
    acquire(host, b, 'z');
    host.workerExited(1);
    expect(host.stats().locks).toBe(1);
    expect(acquire(host, b, 'x')).toEqual(expect.any(String));
    expect(acquire(host, a, 'z')).toBeNull();
  });

  it('lets a lock expire after its TTL', () => {
    vi.useFakeTimers({ toFake: ['performance'] });
    const host = new ClusterStateHost();
    const [a, b] = [fakeWorker(1), fakeWorker(2)];
    acquire(host, a, 'k', 1_000);
    vi.advanceTimersByTime(999);
    expect(acquire(host, b, 'k')).toBeNull();
    vi.advanceTimersByTime(1);
    const token = acquire(host, b, 'k');
    expect(token).toEqual(expect.any(String));
    // The first holder's late release does not free the new holder's lock.
    release(host, a, 'k', 'stale');
    expect(acquire(host, a, 'k')).toBeNull();
  });
});

describe('ClusterStateHost pool budgets', () => {
  const tick = () => new Promise((resolve) => setImmediate(resolve));

  it('answers a wait for a permit later, in a message of its own', async () => {
    const host = new ClusterStateHost();
    const [a, b] = [fakeWorker(1), fakeWorker(2)];
    expect(ask(host, a, [0, 'budget.acquire', 'db', 1, 0])).toEqual([[0, 0, true]]);
    // b's wait and its other call: only the other call is answered now.
    expect(ask(host, b, [5, 'budget.acquire', 'db', 1, 0], [6, 'lock.acquire', 'k', 100])).toEqual([
      [6, 0, expect.any(String)],
    ]);
    expect(host.stats()).toMatchObject({ permits: 1, permitWaiters: 1, calls: 3, dropped: 0 });
    ask(host, a, [1, 'budget.release', 'db']);
    await tick();
    expect(b.sent.at(-1)).toEqual({ loadstone: 1, type: 'state:replies', items: [[5, 0, true]] });
    expect(host.stats()).toMatchObject({ permits: 1, permitWaiters: 0 });
    // A cancelled wait ends with false.
    expect(host.receive(a, calls([2, 'budget.acquire', 'db', 1, 1]))).toBe(true);
    expect(ask(host, a, [3, 'budget.cancel', 'db', 1])).toEqual([[3, 0, null]]);
    await tick();
    expect(a.sent.at(-1)).toEqual({ loadstone: 1, type: 'state:replies', items: [[2, 0, false]] });
  });

  it('sends nothing to a waiting worker whose channel closed, and survives a send that throws', async () => {
    const host = new ClusterStateHost();
    const a = fakeWorker(1);
    ask(host, a, [0, 'budget.acquire', 'db', 1, 0]);
    const gone = fakeWorker(2, false);
    const broken = Object.assign(fakeWorker(3), {
      send: () => {
        throw new Error('channel closed');
      },
    });
    expect(host.receive(gone, calls([0, 'budget.acquire', 'db', 1, 0]))).toBe(true);
    expect(host.receive(broken, calls([0, 'budget.acquire', 'db', 1, 0]))).toBe(true);
    expect(host.stats().permitWaiters).toBe(2);
    host.workerExited(1);
    await tick();
    expect(gone.sent).toEqual([]);
    expect(host.stats()).toMatchObject({ permits: 1, permitWaiters: 1 });
    host.workerExited(2);
    await tick();
    expect(host.stats()).toMatchObject({ permits: 1, permitWaiters: 0 });
    expect(() => host.receive(broken, calls([1, 'lock.acquire', 'k', 100]))).not.toThrow();
  });

  it('releases the permits and waits of a process that exits', async () => {
    const host = new ClusterStateHost();
    const [a, b] = [fakeWorker(1), fakeWorker(2)];
    ask(host, a, [0, 'budget.acquire', 'db', 2, 0], [1, 'budget.acquire', 'db', 2, 1]);
    host.receive(a, calls([2, 'budget.acquire', 'db', 2, 2]));
    host.receive(b, calls([0, 'budget.acquire', 'db', 2, 0]));
    host.workerExited(1);
    await tick();
    expect(b.sent.at(-1)?.items).toEqual([[0, 0, true]]);
    expect(host.stats()).toMatchObject({ permits: 1, permitWaiters: 0 });
  });

  it('counts the calls the primary makes itself, and a worker with no pid as one owner', () => {
    const host = new ClusterStateHost();
    const nameless = { ...fakeWorker(0), process: {} } as unknown as FakeWorker;
    expect(ask(host, nameless, [0, 'lock.acquire', 'k', 100])).toEqual([[0, 0, expect.any(String)]]);
    expect(ask(host, nameless, [1, 'lock.acquire', 'k', 100])).toEqual([[1, 0, null]]);
    host.workerExited(-1);
    expect(host.stats().locks).toBe(0);
  });
});

describe('ClusterStateHost messages', () => {
  it('takes a state:calls message of exactly 10,000 calls, and no message of another type', () => {
    const host = new ClusterStateHost();
    const w = fakeWorker(1);
    expect(host.receive(w, calls(...new Array(10_000).fill('junk')))).toBe(true);
    expect(host.stats().dropped).toBe(10_000);
    const replies = { loadstone: 1, type: 'state:replies', items: [[0, 'lock.acquire', 'k', 100]] };
    expect(host.receive(w, replies)).toBe(false);
    expect(host.stats()).toMatchObject({ calls: 0, locks: 0 });
  });

  it('names what an unknown operation should be', () => {
    const host = new ClusterStateHost();
    const [reply] = ask(host, fakeWorker(1), [0, 'lock.steal', 'k']) as [unknown[]];
    expect(reply[3]).toBe('Expected `op` to be a cluster state operation, got `"lock.steal"` (string)');
  });

  it('counts the calls the primary makes itself', () => {
    const host = new ClusterStateHost();
    stateHostLinks.get(host)?.call('lock.acquire', ['k', 100]);
    expect(host.stats()).toMatchObject({ calls: 1, locks: 1 });
  });

  it('announces worker lifecycle on the channels Presence and others listen to', () => {
    expect(WORKER_ONLINE_CHANNEL).toBe('loadstone:worker:online');
    expect(WORKER_EXITED_CHANNEL).toBe('loadstone:worker:exited');
  });
});
