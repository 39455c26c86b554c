import { describe, expect, it, vi } from 'vitest';
import { useShareTimers } from '../../../test/helpers/rateLimitShares.js';
import { CallMode, RECALL_TIMEOUT_MS } from './RateLimitNamespace.js';
import { RateLimitService, RL_CONSUME, RL_RULE, RL_SURRENDER, SWEEP_MS } from './RateLimitService.js';

/** 10 a minute: each of two holders decides 5 of every key. */
const WINDOW = { algorithm: 'sliding-window', keyPrefix: 'w:', limit: 10, periodMs: 60_000 };
/** 4 over 4 s: each of two holders decides 2 of every key. */
const GCRA = { algorithm: 'gcra', keyPrefix: 'g:', emissionIntervalMs: 1_000, burst: 4, toleranceMs: 4_000 };
const [A, B] = [101, 102];

/** A service with two holders that declared `rule` as their rule 0, and the messages it sent. */
function twoHolders(rule: object = WINDOW) {
  const sent: { owner: number; type: string; items: unknown[][] }[] = [];
  const service = new RateLimitService(2, (owner, type, items) =>
    sent.push({ owner, type, items: items as unknown[][] }),
  );
  for (const owner of [A, B]) expect(service.call(owner, RL_RULE, [0, rule])).toEqual([0, 0.5, []]);
  /** The recall ids sent to `owner` so far. */
  const recalls = (owner: number) =>
    sent
      .filter((m) => m.owner === owner && m.type === 'state:recall')
      .flatMap((m) => m.items.map((i) => i[0]));
  const surrender = (owner: number, id: unknown, used: unknown) =>
    expect(service.call(owner, RL_SURRENDER, [id, used])).toBeNull();
  return { service, sent, recalls, surrender };
}

/** `promise`'s value once settled within a few turns, else `'pending'`. */
async function settled<T>(promise: Promise<T>): Promise<T | 'pending'> {
  let value: T | 'pending' = 'pending';
  promise.then((v) => {
    value = v;
  });
  for (let turn = 0; turn < 3; turn++) await new Promise(setImmediate);
  return value;
}

// The primary's side of a merge: the holders' answers to its recalls, called directly.
describe('RateLimitService recalls', () => {
  useShareTimers();

  it('recalls the key from every holder, and decides once all have answered', async () => {
    const { service, recalls, surrender } = twoHolders();
    const escalated = service.call(A, RL_CONSUME, [0, 'k', 1, CallMode.escalate]) as Promise<unknown[]>;
    expect(await settled(escalated)).toBe('pending');
    expect([recalls(A), recalls(B)]).toEqual([[0], [1]]);
    surrender(A, 0, 5);
    expect(await settled(escalated)).toBe('pending');
    surrender(B, 1, 2);
    expect(await settled(escalated)).toEqual([1, 2, 120_000, 0]); // 5 + 2 + 1 of 10
    expect(service.size).toBe(1);
  });

  it('ignores an answer to another holder’s recall, and a second answer to the same recall', async () => {
    const { service, surrender } = twoHolders();
    const escalated = service.call(A, RL_CONSUME, [0, 'k', 1, CallMode.escalate]) as Promise<unknown[]>;
    surrender(B, 0, 0); // recall 0 went to A
    surrender(B, 1, 1);
    expect(await settled(escalated)).toBe('pending');
    surrender(A, 0, 1);
    expect(await settled(escalated)).toEqual([1, 7, 120_000, 0]);
    surrender(A, 0, 5); // answered already: not counted again
    surrender(A, 'x', 5);
    expect(service.call(A, RL_CONSUME, [0, 'k', 0, CallMode.central])).toEqual([1, 7, 120_000, 0]);
  });

  it('counts an answer that is not a finite number >= 0 as a full share, and any answer at most as one', async () => {
    for (const [used, remaining] of [
      [Number.NaN, 0],
      [-1, 0],
      [Number.POSITIVE_INFINITY, 0],
      ['2', 0],
      [1e9, 0],
      [1, 4],
    ] as const) {
      const { service, surrender } = twoHolders();
      const escalated = service.call(A, RL_CONSUME, [0, 'k', 1, CallMode.escalate]) as Promise<unknown[]>;
      surrender(A, 0, 4);
      surrender(B, 1, used);
      // 4 + (a full share of 5, or 0) + the call's 1.
      expect(await settled(escalated)).toEqual([1, remaining, 120_000, 0]);
    }
  });

  it('adds a holder’s answer that comes after the recall timed out on top of its full share', async () => {
    const { service, surrender } = twoHolders(GCRA);
    const escalated = service.call(A, RL_CONSUME, [0, 'k', 1, CallMode.escalate]) as Promise<unknown[]>;
    surrender(A, 0, 0);
    await vi.advanceTimersByTimeAsync(RECALL_TIMEOUT_MS - 1);
    expect(await settled(escalated)).toBe('pending');
    await vi.advanceTimersByTimeAsync(1);
    // B's share counted as full (2 of 4): the call leaves 1.
    expect(await settled(escalated)).toEqual([1, 1, 3_000, 0]);
    surrender(B, 1, 1); // late: one more unit on top, never too little
    expect(service.call(A, RL_CONSUME, [0, 'k', 0, CallMode.central])).toEqual([1, 0, 4_000, 0]);
  });

  it('counts the share of a holder that exits before answering as full', async () => {
    const { service, sent, surrender } = twoHolders();
    const escalated = service.call(A, RL_CONSUME, [0, 'k', 1, CallMode.escalate]) as Promise<unknown[]>;
    service.ownerGone(B); // in the turn of the recall: nothing is sent to it
    expect(await settled(escalated)).toBe('pending'); // A's answer is still due
    expect(sent.map((m) => m.owner)).toEqual([A]);
    surrender(A, 0, 1);
    expect(await settled(escalated)).toEqual([1, 3, 120_000, 0]); // 1 + 5 + 1
    // Its slot drains: a newcomer has no share until then, and B's late answer counts for nothing.
    expect(service.call(103, RL_RULE, [0, WINDOW])).toEqual([0, 0, []]);
    surrender(B, 1, 5);
    expect(service.call(A, RL_CONSUME, [0, 'k', 0, CallMode.central])).toEqual([1, 3, 120_000, 0]);
  });

  it('keeps deciding a merged key from what it holds once the recall’s time has passed', async () => {
    const { service, surrender } = twoHolders(GCRA);
    const escalated = service.call(A, RL_CONSUME, [0, 'k', 1, CallMode.escalate]) as Promise<unknown[]>;
    surrender(A, 0, 0);
    surrender(B, 1, 0);
    expect(await escalated).toEqual([1, 3, 1_000, 0]);
    for (const remaining of [2, 1, 0]) {
      expect(service.call(A, RL_CONSUME, [0, 'k', 1, CallMode.central])).toEqual([
        1,
        remaining,
        expect.any(Number),
        0,
      ]);
    }
    await vi.advanceTimersByTimeAsync(RECALL_TIMEOUT_MS);
    // One unit dripped away in that second: one more call, not a fresh bucket.
    const allowed = () => (service.call(A, RL_CONSUME, [0, 'k', 1, CallMode.central]) as number[])[0];
    expect([allowed(), allowed()]).toEqual([1, 0]);
  });

  it('keeps nothing of a late answer for a key that is split again', async () => {
    const { service, surrender } = twoHolders(GCRA);
    const escalated = service.call(A, RL_CONSUME, [0, 'k', 1, CallMode.escalate]) as Promise<unknown[]>;
    surrender(A, 0, 0);
    await vi.advanceTimersByTimeAsync(RECALL_TIMEOUT_MS);
    await escalated;
    // 3 units held (B's full 2 and the call): gone after 3 s, and split at the next sweep.
    await vi.advanceTimersByTimeAsync(3_000 + SWEEP_MS);
    expect(service.size).toBe(0);
    expect(vi.getTimerCount()).toBe(0); // nothing central: the sweep stops
    surrender(B, 1, 2);
    expect(service.size).toBe(0);
    expect(service.call(A, RL_CONSUME, [0, 'k', 1, CallMode.central])).toBe(0); // decide it on your share
  });

  it('sends a turn’s recalls in messages of at most 10,000', async () => {
    const { service, sent } = twoHolders();
    for (let i = 0; i <= 10_000; i++) service.call(A, RL_CONSUME, [0, `k${i}`, 1, CallMode.escalate]);
    await new Promise(setImmediate);
    expect(sent.map((m) => [m.owner, m.type, m.items.length, m.items[0]])).toEqual([
      [A, 'state:recall', 10_000, [0, 0, 'k0']],
      [A, 'state:recall', 1, [20_000, 0, 'k10000']],
      [B, 'state:recall', 10_000, [1, 0, 'k0']],
      [B, 'state:recall', 1, [20_001, 0, 'k10000']],
    ]);
  });

  it('merges at once, with nobody to ask, the key of a rule whose holders all exited', () => {
    const { service } = twoHolders(GCRA);
    service.ownerGone(A);
    service.ownerGone(B);
    expect(service.call(process.pid, RL_RULE, [0, GCRA])).toEqual([0, 0, []]);
    // Both dead shares count as full until they have drained.
    expect(service.call(process.pid, RL_CONSUME, [0, 'k', 1])).toEqual([0, 0, 4_000, 1_000]);
    vi.advanceTimersByTime(GCRA.toleranceMs);
    expect(service.call(process.pid, RL_CONSUME, [0, 'j', 1])).toEqual([1, 3, 1_000, 0]);
  });

  it('sends one message per holder and kind a turn, splits before recalls', async () => {
    const { service, sent, surrender } = twoHolders(GCRA);
    const first = service.call(A, RL_CONSUME, [0, 'k', 1, CallMode.escalate]) as Promise<unknown[]>;
    surrender(A, 0, 0);
    surrender(B, 1, 0);
    await first;
    await new Promise(setImmediate);
    sent.length = 0;
    // 'k' drains; the sweep splits it, and in the same turn calls merge 'j' and 'i'.
    vi.advanceTimersByTime(SWEEP_MS);
    service.call(B, RL_CONSUME, [0, 'j', 1, CallMode.escalate]);
    service.call(B, RL_CONSUME, [0, 'i', 1, CallMode.escalate]);
    await new Promise(setImmediate);
    expect(sent).toEqual([
      { owner: A, type: 'state:split', items: [[0, 'k']] },
      {
        owner: A,
        type: 'state:recall',
        items: [
          [2, 0, 'j'],
          [4, 0, 'i'],
        ],
      },
      { owner: B, type: 'state:split', items: [[0, 'k']] },
      {
        owner: B,
        type: 'state:recall',
        items: [
          [3, 0, 'j'],
          [5, 0, 'i'],
        ],
      },
    ]);
  });
});
