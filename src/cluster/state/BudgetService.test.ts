import { describe, expect, it } from 'vitest';
import {
  BUDGET_ACQUIRE,
  BUDGET_CANCEL,
  BUDGET_LIMITS,
  BUDGET_RELEASE,
  BudgetService,
  MAX_BUDGET_NAME_LENGTH,
} from './BudgetService.js';

/** Collects how each waiting acquire ended, in the order they ended. */
async function outcomes(waits: Record<string, unknown>): Promise<string[]> {
  const ended: string[] = [];
  for (const [name, wait] of Object.entries(waits)) {
    void (wait as Promise<boolean>).then((granted) => ended.push(`${name}:${granted}`));
  }
  await new Promise((resolve) => setImmediate(resolve));
  return ended;
}

// The primary-side table behind ClusterPoolBudget, called directly (owners are pids).
describe('BudgetService', () => {
  const acquire = (s: BudgetService, owner: number, ticket: number, name = 'db', max = 2) =>
    s.call(owner, BUDGET_ACQUIRE, [name, max, ticket]);
  const release = (s: BudgetService, owner: number, name = 'db') => s.call(owner, BUDGET_RELEASE, [name]);
  const cancel = (s: BudgetService, owner: number, ticket: number, name = 'db') =>
    s.call(owner, BUDGET_CANCEL, [name, ticket]);

  it('grants at once while permits are free, then queues; a release goes to the oldest waiter', async () => {
    const s = new BudgetService();
    expect(acquire(s, 1, 0)).toBe(true);
    expect(acquire(s, 2, 0)).toBe(true);
    const second = acquire(s, 2, 1);
    const first = acquire(s, 1, 1);
    expect(second).toBeInstanceOf(Promise);
    expect(s).toMatchObject({ held: 2, waiting: 2 });
    expect(release(s, 1)).toBeNull();
    expect(await outcomes({ second, first })).toEqual(['second:true']);
    expect(s).toMatchObject({ held: 2, waiting: 1 });
    release(s, 1); // owner 1 holds nothing now: an extra release frees nothing
    expect(await outcomes({ first })).toEqual([]);
    expect(s).toMatchObject({ held: 2, waiting: 1 });
    release(s, 2);
    expect(await outcomes({ first })).toEqual(['first:true']);
    expect(s).toMatchObject({ held: 2, waiting: 0 });
  });

  it('counts permits per owner: each release gives back one', () => {
    const s = new BudgetService();
    expect(acquire(s, 1, 0, 'db', 3)).toBe(true);
    expect(acquire(s, 1, 1, 'db', 3)).toBe(true);
    release(s, 1);
    expect(s.held).toBe(1);
    release(s, 1);
    expect(s.held).toBe(0);
    release(s, 1);
    expect(s.held).toBe(0);
    expect(acquire(s, 2, 0, 'db', 3)).toBe(true);
    expect(acquire(s, 2, 1, 'db', 3)).toBe(true);
    expect(acquire(s, 2, 2, 'db', 3)).toBe(true);
    expect(acquire(s, 2, 3, 'db', 3)).toBeInstanceOf(Promise);
  });

  it('keeps budgets of different names apart', () => {
    const s = new BudgetService();
    expect(acquire(s, 1, 0, 'a', 1)).toBe(true);
    expect(acquire(s, 1, 1, 'b', 1)).toBe(true);
    expect(acquire(s, 1, 2, 'a', 1)).toBeInstanceOf(Promise);
    release(s, 1, 'b');
    expect(s).toMatchObject({ held: 1, waiting: 1 });
  });

  it('ends a cancelled wait with false, and only the caller’s own ticket', async () => {
    const s = new BudgetService();
    expect(acquire(s, 1, 0, 'db', 1)).toBe(true);
    const a = acquire(s, 2, 7, 'db', 1);
    const b = acquire(s, 3, 7, 'db', 1);
    expect(cancel(s, 2, 8)).toBeNull(); // not its ticket
    expect(cancel(s, 1, 7)).toBeNull(); // not its wait
    expect(cancel(s, 2, 7, 'other')).toBeNull(); // no such budget
    expect(s.waiting).toBe(2);
    expect(cancel(s, 2, 7)).toBeNull();
    expect(await outcomes({ a, b })).toEqual(['a:false']);
    expect(s.waiting).toBe(1);
    cancel(s, 2, 7); // twice: nothing more
    expect(s.waiting).toBe(1);
    release(s, 1);
    expect(await outcomes({ b })).toEqual(['b:true']);
  });

  it('gives an exited owner’s permits to the oldest waiters and ends its own waits', async () => {
    const s = new BudgetService();
    expect(acquire(s, 1, 0)).toBe(true);
    expect(acquire(s, 1, 1)).toBe(true);
    const own = acquire(s, 1, 2);
    const a = acquire(s, 2, 0);
    const b = acquire(s, 3, 0);
    const c = acquire(s, 3, 1);
    expect(acquire(s, 4, 0, 'other', 1)).toBe(true);
    s.ownerGone(1);
    expect(await outcomes({ own, a, b, c })).toEqual(['own:false', 'a:true', 'b:true']);
    expect(s).toMatchObject({ held: 3, waiting: 1 });
    s.ownerGone(99); // holds nothing anywhere
    expect(s).toMatchObject({ held: 3, waiting: 1 });
    s.ownerGone(3);
    expect(await outcomes({ c })).toEqual(['c:false']);
    expect(s).toMatchObject({ held: 2, waiting: 0 });
  });

  it('refuses a max other than the budget’s first, naming both', () => {
    const s = new BudgetService();
    acquire(s, 1, 0, 'db', 2);
    expect(() => acquire(s, 2, 0, 'db', 3)).toThrow(
      expect.objectContaining({ option: 'max', expected: '2, the max another process gave budget "db"' }),
    );
  });

  it.each([
    ['a name that is not a string', [5, 1, 0], 'name'],
    ['an empty name', ['', 1, 0], 'name'],
    ['an overlong name', ['x'.repeat(MAX_BUDGET_NAME_LENGTH + 1), 1, 0], 'name'],
    ['a max of 0', ['db', 0, 0], 'max'],
    ['a fractional max', ['db', 1.5, 0], 'max'],
    ['a max over the limit', ['db', BUDGET_LIMITS.max + 1, 0], 'max'],
    ['a ticket that is not an integer', ['db', 1, 0.5], 'ticket'],
  ])('refuses %s', (_name, args, option) => {
    const s = new BudgetService();
    expect(() => s.call(1, BUDGET_ACQUIRE, args)).toThrow(
      expect.objectContaining({
        code: 'ERR_LOADSTONE_INVALID_OPTION',
        option,
        expected: {
          name: 'a string of 1 to 256 characters',
          max: 'an integer from 1 to 1000000',
          ticket: 'an integer',
        }[option],
      }),
    );
  });

  it('accepts the longest name and the largest max', () => {
    const s = new BudgetService();
    expect(acquire(s, 1, 0, 'x'.repeat(MAX_BUDGET_NAME_LENGTH), BUDGET_LIMITS.max)).toBe(true);
    expect(acquire(s, 1, 1, 'one', 1)).toBe(true);
  });

  it(`caps the budgets at ${BUDGET_LIMITS.budgets}`, () => {
    const s = new BudgetService();
    for (let i = 0; i < BUDGET_LIMITS.budgets; i++) acquire(s, 1, i, `b${i}`, 1);
    expect(() => acquire(s, 1, 0, 'one-more', 1)).toThrow(
      expect.objectContaining({
        code: 'ERR_LOADSTONE_CAPACITY',
        limit: BUDGET_LIMITS.budgets,
        message: 'cluster pool budgets is full (limit 1000)',
      }),
    );
    expect(acquire(s, 1, 0, 'b0', 1)).toBeInstanceOf(Promise); // a known name still waits
  });

  it(`caps the callers waiting at ${BUDGET_LIMITS.waiting}, over all budgets`, () => {
    const s = new BudgetService();
    acquire(s, 1, 0, 'a', 1);
    acquire(s, 1, 0, 'b', 1);
    for (let i = 1; i < BUDGET_LIMITS.waiting; i++) acquire(s, 1, i, 'a', 1);
    acquire(s, 1, 0, 'b', 1);
    expect(s.waiting).toBe(BUDGET_LIMITS.waiting);
    expect(() => acquire(s, 2, 0, 'b', 1)).toThrow(
      expect.objectContaining({
        code: 'ERR_LOADSTONE_CAPACITY',
        limit: BUDGET_LIMITS.waiting,
        message: 'callers waiting for a cluster pool budget is full (limit 100000)',
      }),
    );
    cancel(s, 1, 0, 'b');
    expect(acquire(s, 2, 0, 'b', 1)).toBeInstanceOf(Promise);
  });
});
