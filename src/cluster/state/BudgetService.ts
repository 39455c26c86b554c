import { CapacityExceededError } from '../../core/errors/CapacityExceededError.js';
import { InvalidOptionError } from '../../core/errors/InvalidOptionError.js';
import type { StateService } from './StateService.js';

/**
 * `[name, max, ticket]` → `true` once a permit is granted (at once, or when one frees), `false` when
 * the wait was cancelled. @internal
 */
export const BUDGET_ACQUIRE = 'budget.acquire';
/** `[name, ticket]` → `null`: stop waiting (the acquire then answers `false`). @internal */
export const BUDGET_CANCEL = 'budget.cancel';
/** `[name]` → `null`: give one permit back. @internal */
export const BUDGET_RELEASE = 'budget.release';
/** Longest budget name. @internal */
export const MAX_BUDGET_NAME_LENGTH = 256;
/** Most budgets (pool names) at once, most permits one budget may have, most waiting callers. @internal */
export const BUDGET_LIMITS = Object.freeze({ budgets: 1_000, max: 1_000_000, waiting: 100_000 });

type Waiting = { readonly owner: number; readonly grant: (granted: boolean) => void };
type Budget = {
  readonly max: number;
  total: number;
  readonly held: Map<number, number>;
  /** `<owner>:<ticket>` → waiter, oldest first (Map insertion order). */
  readonly waiting: Map<string, Waiting>;
};

/**
 * Permits shared by every process of the machine, per name: a pool named `db` in each worker takes
 * one before opening a connection and gives it back after closing one, so all the workers' `db`
 * pools together stay within one `max`. A process that exits gives its permits back at once, and
 * the oldest waiters get them. @internal
 */
export class BudgetService implements StateService {
  readonly ops = [BUDGET_ACQUIRE, BUDGET_CANCEL, BUDGET_RELEASE] as const;
  readonly #budgets = new Map<string, Budget>();
  #waiting = 0;

  /** Callers waiting for a permit, over all budgets. */
  get waiting(): number {
    return this.#waiting;
  }

  /** Permits held, over all budgets. */
  get held(): number {
    let held = 0;
    for (const budget of this.#budgets.values()) held += budget.total;
    return held;
  }

  call(owner: number, op: string, args: readonly unknown[]): unknown {
    const name = args[0];
    if (typeof name !== 'string' || name.length === 0 || name.length > MAX_BUDGET_NAME_LENGTH) {
      throw new InvalidOptionError('name', `a string of 1 to ${MAX_BUDGET_NAME_LENGTH} characters`, name);
    }
    if (op === BUDGET_ACQUIRE) return this.#acquire(owner, name, args[1], args[2]);
    const budget = this.#budgets.get(name);
    if (budget === undefined) return null;
    if (op === BUDGET_CANCEL) {
      const key = `${owner}:${String(args[1])}`;
      const waiter = budget.waiting.get(key);
      if (waiter !== undefined) {
        budget.waiting.delete(key);
        this.#waiting--;
        waiter.grant(false);
      }
      return null;
    }
    const held = budget.held.get(owner) ?? 0;
    if (held > 0) {
      // An extra release (a bug in the caller) must not hand out permits nobody returned.
      if (held === 1) budget.held.delete(owner);
      else budget.held.set(owner, held - 1);
      budget.total--;
      this.#grantWaiting(budget);
    }
    return null;
  }

  ownerGone(owner: number): void {
    for (const budget of this.#budgets.values()) {
      const held = budget.held.get(owner);
      if (held !== undefined) {
        budget.held.delete(owner);
        budget.total -= held;
      }
      for (const [key, waiter] of budget.waiting) {
        if (waiter.owner !== owner) continue;
        budget.waiting.delete(key);
        this.#waiting--;
        waiter.grant(false);
      }
      this.#grantWaiting(budget);
    }
  }

  #acquire(owner: number, name: string, max: unknown, ticket: unknown): boolean | Promise<boolean> {
    if (!Number.isSafeInteger(max) || (max as number) < 1 || (max as number) > BUDGET_LIMITS.max) {
      throw new InvalidOptionError('max', `an integer from 1 to ${BUDGET_LIMITS.max}`, max);
    }
    if (!Number.isSafeInteger(ticket)) throw new InvalidOptionError('ticket', 'an integer', ticket);
    let budget = this.#budgets.get(name);
    if (budget === undefined) {
      if (this.#budgets.size >= BUDGET_LIMITS.budgets) {
        throw new CapacityExceededError('cluster pool budgets', BUDGET_LIMITS.budgets);
      }
      budget = { max: max as number, total: 0, held: new Map(), waiting: new Map() };
      this.#budgets.set(name, budget);
    } else if (budget.max !== max) {
      throw new InvalidOptionError(
        'max',
        `${budget.max}, the max another process gave budget "${name}"`,
        max,
      );
    }
    if (budget.total < budget.max && budget.waiting.size === 0) {
      this.#take(budget, owner);
      return true;
    }
    if (this.#waiting >= BUDGET_LIMITS.waiting) {
      throw new CapacityExceededError('callers waiting for a cluster pool budget', BUDGET_LIMITS.waiting);
    }
    const waiting = budget.waiting;
    this.#waiting++;
    return new Promise<boolean>((grant) => {
      waiting.set(`${owner}:${ticket}`, { owner, grant });
    });
  }

  #take(budget: Budget, owner: number): void {
    budget.total++;
    budget.held.set(owner, (budget.held.get(owner) ?? 0) + 1);
  }

  #grantWaiting(budget: Budget): void {
    for (const [key, waiter] of budget.waiting) {
      if (budget.total >= budget.max) return;
      budget.waiting.delete(key);
      this.#waiting--;
      this.#take(budget, waiter.owner);
      waiter.grant(true);
    }
  }
}
