import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  MAX_RATE_LIMIT_KEY_LENGTH,
  MAX_RULES_PER_PROCESS,
  RateLimitService,
  RL_CONSUME,
  RL_RULE,
} from './RateLimitService.js';

const GCRA = { algorithm: 'gcra', keyPrefix: 'g:', emissionIntervalMs: 1000, burst: 1, toleranceMs: 1000 };
const WINDOW = { algorithm: 'sliding-window', keyPrefix: 'w:', limit: 2, periodMs: 60_000 };
/** The primary itself: it holds no share, so the service decides its calls (workers': see RateLimitShares tests). */
const P = process.pid;

// The primary-side decisions behind ClusterRateLimitStore, called directly (owners are pids).
describe('RateLimitService', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['performance'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const declare = (s: RateLimitService, owner: number, id: unknown, rule: unknown) =>
    s.call(owner, RL_RULE, [id, rule]);
  const consume = (s: RateLimitService, owner: number, id: number, key: unknown, cost: unknown = 1) =>
    s.call(owner, RL_CONSUME, [id, key, cost]) as unknown[];
  /** What each option must be, as the error says it. */
  const EXPECTED: Record<string, string> = {
    ruleId: 'an integer >= 0',
    key: 'a string of at most 4096 characters',
    cost: 'an integer >= 0',
    mode: '0, 1 or 2',
    'rule.keyPrefix': 'a string',
    'rule.algorithm': "'gcra' or 'sliding-window'",
  };
  const UNDECLARED = 'a rule declared by this process';
  const refuses = (
    act: () => unknown,
    option: string,
    expected = EXPECTED[option] ?? 'a finite number > 0',
  ) =>
    expect(act).toThrow(expect.objectContaining({ code: 'ERR_LOADSTONE_INVALID_OPTION', option, expected }));

  it('encodes sliding-window decisions for IPC', () => {
    const s = new RateLimitService(4, () => {});
    expect(declare(s, P, 0, WINDOW)).toEqual([0, 0, []]); // the primary holds no share
    // As the memory store decides (a sliding window remembers the previous period too).
    expect(consume(s, P, 0, 'k')).toEqual([1, 1, 120_000, 0]);
    expect(consume(s, P, 0, 'k', 0)).toEqual([1, 1, 120_000, 0]);
    expect(consume(s, P, 0, 'k')).toEqual([1, 0, 120_000, 0]);
    expect(consume(s, P, 0, 'k')).toEqual([0, 0, 120_000, 90_000]);
    expect(consume(s, P, 0, 'k', 3)).toEqual([0, 0, 120_000, -1]);
    expect(s.size).toBe(1);
  });

  it('decides GCRA on the primary’s clock, with no slack past a microsecond', () => {
    const s = new RateLimitService(4, () => {});
    declare(s, P, 0, GCRA);
    expect(consume(s, P, 0, 'k')).toEqual([1, 0, 1000, 0]);
    vi.advanceTimersByTime(995);
    expect(consume(s, P, 0, 'k')).toEqual([0, 0, 5, 5]);
    vi.advanceTimersByTime(5);
    expect(consume(s, P, 0, 'k')).toEqual([1, 0, 1000, 0]);
  });

  it('keeps each owner’s rule ids apart, and forgets them when it exits', () => {
    const s = new RateLimitService(4, () => {});
    declare(s, P, 0, WINDOW);
    expect(declare(s, 2, 0, GCRA)).toEqual([1, 0.25, []]);
    expect(consume(s, P, 0, 'k')).toEqual([1, 1, 120_000, 0]);
    expect(s.call(2, RL_CONSUME, [0, 'k', 1, 0])).toBe(0); // a share holder decides a split key itself
    refuses(() => consume(s, 3, 0, 'k'), 'ruleId', UNDECLARED);
    s.ownerGone(2);
    refuses(() => consume(s, 2, 0, 'k'), 'ruleId', UNDECLARED);
    expect(consume(s, P, 0, 'k')[0]).toBe(1);
  });

  it('replaces a rule redeclared under the same id, even at the cap', () => {
    const s = new RateLimitService(4, () => {});
    for (let id = 0; id < MAX_RULES_PER_PROCESS; id++) declare(s, P, id, WINDOW);
    expect(() => declare(s, P, MAX_RULES_PER_PROCESS, WINDOW)).toThrow(
      expect.objectContaining({
        code: 'ERR_LOADSTONE_CAPACITY',
        limit: MAX_RULES_PER_PROCESS,
        message: 'rate-limit rules of one process is full (limit 1000)',
      }),
    );
    declare(s, P, 0, GCRA);
    expect(consume(s, P, 0, 'k')).toEqual([1, 0, 1000, 0]);
    expect(declare(s, 2, 0, WINDOW)).toEqual([0, 0.25, []]); // another owner has its own cap
  });

  it('accepts the longest key and keyPrefix, a cost of 0 and rule id 0', () => {
    const s = new RateLimitService(4, () => {});
    declare(s, P, 0, WINDOW);
    expect(consume(s, P, 0, 'x'.repeat(MAX_RATE_LIMIT_KEY_LENGTH), 0)[0]).toBe(1);
    declare(s, P, 1, { ...WINDOW, keyPrefix: 'p'.repeat(MAX_RATE_LIMIT_KEY_LENGTH) });
    expect(consume(s, P, 1, 'k')[0]).toBe(1);
  });

  it.each([
    ['a key that is not a string', [0, 5, 1], 'key'],
    ['an overlong key', [0, 'x'.repeat(MAX_RATE_LIMIT_KEY_LENGTH + 1), 1], 'key'],
    ['a cost that is not a number', [0, 'k', '1'], 'cost'],
    ['a negative cost', [0, 'k', -1], 'cost'],
    ['a fractional cost', [0, 'k', 0.5], 'cost'],
    ['an unsafe cost', [0, 'k', 2 ** 53], 'cost'],
    ['an undeclared rule id', [1, 'k', 1], 'ruleId'],
    ['a mode that is not one of the three', [0, 'k', 1, 3], 'mode'],
  ])('refuses a consume with %s', (_name, args, option) => {
    const s = new RateLimitService(4, () => {});
    declare(s, 1, 0, WINDOW);
    refuses(() => s.call(1, RL_CONSUME, args), option, option === 'ruleId' ? UNDECLARED : EXPECTED[option]);
    expect(s.size).toBe(0);
  });

  it.each([
    ['a rule id that is not an integer', 0.5, WINDOW, 'ruleId'],
    ['a negative rule id', -1, WINDOW, 'ruleId'],
    ['a rule that is not an object', 0, 'gcra', 'rule.keyPrefix'],
    ['a null rule', 0, null, 'rule.keyPrefix'],
    ['a keyPrefix that is not a string', 0, { ...WINDOW, keyPrefix: 1 }, 'rule.keyPrefix'],
    [
      'an overlong keyPrefix',
      0,
      { ...WINDOW, keyPrefix: 'p'.repeat(MAX_RATE_LIMIT_KEY_LENGTH + 1) },
      'rule.keyPrefix',
    ],
    ['an unknown algorithm', 0, { ...WINDOW, algorithm: 'fixed-window' }, 'rule.algorithm'],
    ['a zero emission interval', 0, { ...GCRA, emissionIntervalMs: 0 }, 'rule.emissionIntervalMs'],
    ['a burst that is not a number', 0, { ...GCRA, burst: '1' }, 'rule.burst'],
    ['a negative tolerance', 0, { ...GCRA, toleranceMs: -1 }, 'rule.toleranceMs'],
    ['a NaN tolerance', 0, { ...GCRA, toleranceMs: Number.NaN }, 'rule.toleranceMs'],
    ['an infinite limit', 0, { ...WINDOW, limit: Number.POSITIVE_INFINITY }, 'rule.limit'],
    ['a zero period', 0, { ...WINDOW, periodMs: 0 }, 'rule.periodMs'],
  ])('refuses %s', (_name, id, rule, option) => {
    const s = new RateLimitService(4, () => {});
    refuses(() => declare(s, 1, id, rule), option);
    refuses(() => consume(s, 1, 0, 'k'), 'ruleId', UNDECLARED);
  });
});
