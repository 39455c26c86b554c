import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CallMode, DECIDE_LOCALLY } from './RateLimitNamespace.js';
import { MAX_NAMESPACES, RateLimitService, RL_CONSUME, RL_RULE } from './RateLimitService.js';

const WINDOW = { algorithm: 'sliding-window', keyPrefix: 'w:', limit: 10, periodMs: 60_000 };
const GCRA = { algorithm: 'gcra', keyPrefix: 'g:', emissionIntervalMs: 1_000, burst: 4, toleranceMs: 4_000 };
const [A, B, C] = [101, 102, 103];

const declare = (s: RateLimitService, owner: number, rule: object, id = 0) =>
  s.call(owner, RL_RULE, [id, rule]) as number[];
const consume = (s: RateLimitService, owner: number, key: string, mode?: number) =>
  s.call(owner, RL_CONSUME, mode === undefined ? [0, key, 1] : [0, key, 1, mode]);

// Who holds a share of a rule's keys, and from when it may decide on it alone.
describe('RateLimitService share slots', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['performance', 'setTimeout', 'clearTimeout'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('gives each distinct rule its own namespace, and limiters with the same rule one', () => {
    const s = new RateLimitService(2, () => {});
    const rules = [
      GCRA,
      { ...GCRA, emissionIntervalMs: 500 },
      { ...GCRA, burst: 8 },
      { ...GCRA, toleranceMs: 8_000 },
      { ...GCRA, keyPrefix: 'h:' },
      WINDOW,
      { ...WINDOW, limit: 20 },
      { ...WINDOW, periodMs: 1_000 },
      { ...WINDOW, keyPrefix: 'v:' },
    ];
    expect(rules.map((rule, id) => declare(s, A, rule, id)[0])).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(declare(s, B, { ...GCRA }, 0)[0]).toBe(0);
    expect(declare(s, B, { ...WINDOW, extra: 1 }, 1)[0]).toBe(5);
    // Each namespace keeps its own keys in the primary, whatever prefix its limiters use.
    const primary = new RateLimitService(2, () => {});
    primary.call(process.pid, RL_RULE, [0, WINDOW]);
    primary.call(process.pid, RL_RULE, [1, { ...WINDOW, limit: 20 }]);
    expect(primary.call(process.pid, RL_CONSUME, [1, 'k', 1])).toEqual([1, 19, 120_000, 0]);
    expect(primary.call(process.pid, RL_CONSUME, [0, 'k', 10])).toEqual([1, 0, 120_000, 0]);
    expect(primary.call(process.pid, RL_CONSUME, [1, 'k', 0])).toEqual([1, 19, 120_000, 0]);
  });

  it('lets a holder decide split keys alone, and decides for it when it says its share refused', () => {
    const s = new RateLimitService(2, () => {});
    declare(s, A, WINDOW);
    expect(consume(s, A, 'k')).toBe(DECIDE_LOCALLY); // no mode: it holds no share it may use
    expect(consume(s, A, 'k', CallMode.noShare)).toBe(DECIDE_LOCALLY);
    expect(consume(s, A, 'k', CallMode.central)).toBe(DECIDE_LOCALLY); // split since: decide it again
    expect(consume(s, A, 'k', CallMode.escalate)).toBeInstanceOf(Promise); // recalls A's share
  });

  it('takes back only the share of the process that exited', () => {
    const s = new RateLimitService(2, () => {});
    declare(s, A, WINDOW);
    declare(s, B, WINDOW);
    s.ownerGone(B);
    expect(consume(s, A, 'k')).toBe(DECIDE_LOCALLY);
    expect(declare(s, C, WINDOW)).toEqual([0, 0, []]); // B's share drains
  });

  it('drains a dead holder’s share for two periods of a sliding window before giving it again', () => {
    const s = new RateLimitService(2, () => {});
    declare(s, A, WINDOW);
    declare(s, B, WINDOW);
    s.ownerGone(A);
    vi.advanceTimersByTime(2 * WINDOW.periodMs - 1);
    expect(declare(s, C, WINDOW)).toEqual([0, 0, []]);
    vi.advanceTimersByTime(1);
    expect(declare(s, C, WINDOW)).toEqual([0, 0.5, []]);
  });

  it('drains a dead holder’s GCRA share for its tolerance, counting it as full until then', () => {
    const s = new RateLimitService(1, () => {});
    declare(s, A, GCRA);
    s.ownerGone(A);
    s.ownerGone(A); // told twice: still one drain
    s.ownerGone(C); // never held a share: nothing to drain
    expect(s.call(process.pid, RL_RULE, [0, GCRA])).toEqual([0, 0, []]);
    vi.advanceTimersByTime(GCRA.toleranceMs - 1);
    expect(declare(s, B, GCRA)).toEqual([0, 0, []]);
    expect(s.call(process.pid, RL_CONSUME, [0, 'k', 1])).toEqual([0, 0, 4_000, 1_000]); // all 4 spent
    vi.advanceTimersByTime(1);
    expect(s.call(process.pid, RL_CONSUME, [0, 'j', 1])).toEqual([1, 3, 1_000, 0]); // drained
    // B takes the slot, and is told the keys the primary decides now.
    expect(declare(s, B, GCRA)).toEqual([0, 1, ['k', 'j']]);
  });

  it('tells a newcomer the keys that are central or being merged, and lets it decide the others', () => {
    const s = new RateLimitService(3, () => {});
    declare(s, A, GCRA);
    expect(s.call(process.pid, RL_RULE, [0, GCRA])).toEqual([0, 0, []]);
    // The primary's own call merges 'k' (A is recalled): a merge under way counts too, as B is
    // not among the holders it waits for.
    expect(s.call(process.pid, RL_CONSUME, [0, 'k', 1])).toBeInstanceOf(Promise);
    expect(declare(s, B, GCRA)).toEqual([0, 1 / 3, ['k']]);
    expect(consume(s, B, 'fresh', CallMode.noShare)).toBe(DECIDE_LOCALLY);
    expect(consume(s, B, 'k', CallMode.central)).toBeInstanceOf(Promise); // waits for the merge
  });

  it('lets a newcomer decide alone at once when no key is central', () => {
    const s = new RateLimitService(3, () => {});
    declare(s, A, GCRA);
    expect(consume(s, A, 'k')).toBe(DECIDE_LOCALLY);
    expect(declare(s, B, GCRA)).toEqual([0, 1 / 3, []]);
    expect(consume(s, B, 'k')).toBe(DECIDE_LOCALLY);
  });

  it('caps the distinct rules of the machine, and still takes the rules it knows', () => {
    const s = new RateLimitService(2, () => {});
    for (let i = 0; i < MAX_NAMESPACES; i++) {
      // 1,000 rules per process, the most one may declare.
      s.call(1_000 + Math.floor(i / 1_000), RL_RULE, [i % 1_000, { ...WINDOW, keyPrefix: `${i}:` }]);
    }
    expect(() => declare(s, C, { ...WINDOW, keyPrefix: 'new:' })).toThrow(
      expect.objectContaining({
        code: 'ERR_LOADSTONE_CAPACITY',
        limit: MAX_NAMESPACES,
        message: 'distinct rate-limit rules is full (limit 10000)',
      }),
    );
    expect(declare(s, C, { ...WINDOW, keyPrefix: '9999:' })).toEqual([9_999, 0.5, []]);
  });
});
