import { InvalidOptionError } from '../../core/errors/InvalidOptionError.js';
import { abortReason } from '../../core/internal/abort.js';
import {
  checkOptionKeys,
  integerOption,
  nonEmptyStringOption,
  optionNames,
  optionsObject,
} from '../../core/internal/validate.js';
import {
  BUDGET_ACQUIRE,
  BUDGET_CANCEL,
  BUDGET_LIMITS,
  BUDGET_RELEASE,
  MAX_BUDGET_NAME_LENGTH,
} from './BudgetService.js';
import type { ClusterStateHost } from './ClusterStateHost.js';
import { type PrimaryLink, primaryLink } from './PrimaryLink.js';

/** Options of {@link ClusterPoolBudget}. */
export type ClusterPoolBudgetOptions = {
  /** The budget's name, shared by the pools that share it (usually the pool's name); 1 to 256 characters. */
  readonly name: string;
  /**
   * Most resources open at once over every process of the machine. Every process must give the
   * same `max` for one name (another is refused with `ERR_LOADSTONE_INVALID_OPTION`).
   */
  readonly max: number;
  /** In the cluster primary only: `supervisor.clusterState`. Leave it out in a worker. */
  readonly host?: ClusterStateHost;
};

/** The part of a pool factory the budget wraps (the `loadstone/pool` `PoolFactory` shape). */
export type BudgetedFactory<T> = {
  /** Opens one resource; wrapped to take a permit first. */
  readonly create: (signal: AbortSignal) => T | PromiseLike<T>;
  /** Closes one resource; wrapped to give its permit back after. */
  readonly destroy?: (resource: T) => void | PromiseLike<void>;
};

const OPTIONS = optionNames<ClusterPoolBudgetOptions>()(['name', 'max', 'host']);

/**
 * One `max` for the pools of one name across every worker of the machine: "10 database
 * connections in total, not per worker". Wrap each worker's pool factory with {@link
 * ClusterPoolBudget.wrap}: its `create` first takes a permit from the cluster primary (waiting,
 * oldest first, while all are out) and its `destroy` gives it back, so the pools together never
 * hold more than `max` resources, while each pool keeps its own `max` as a per-worker cap.
 *
 * A worker that exits gives its permits back at once. A wait is bounded by the pool: it ends
 * when the create's signal aborts (`createTimeoutMs`, or the pool being destroyed), which fails
 * that create as any create failure does. When the primary cannot be reached, `create` rejects
 * with `ClosedError`.
 *
 * @example
 * {@includeCode ./ClusterPoolBudget.test.ts#budget}
 */
export class ClusterPoolBudget {
  readonly #link: PrimaryLink;
  readonly #name: string;
  readonly #max: number;
  #nextTicket = 0;

  /**
   * @param options - the budget's name and size; `host` in the primary only.
   * @throws {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION` for a bad or unknown option,
   *   a missing `host` in the primary, or a `host` in a worker.
   */
  constructor(options: ClusterPoolBudgetOptions) {
    const opts = optionsObject('options', options) as Partial<ClusterPoolBudgetOptions>;
    checkOptionKeys(opts, OPTIONS, 'ClusterPoolBudget');
    this.#name = nonEmptyStringOption('options.name', opts.name);
    if (this.#name.length > MAX_BUDGET_NAME_LENGTH) {
      throw new InvalidOptionError(
        'options.name',
        `a string of 1 to ${MAX_BUDGET_NAME_LENGTH} characters`,
        opts.name,
      );
    }
    this.#max = integerOption('options.max', opts.max, 1, BUDGET_LIMITS.max);
    this.#link = primaryLink('ClusterPoolBudget', opts.host);
  }

  /** The budget's name. */
  get name(): string {
    return this.#name;
  }

  /** Most resources open at once over the machine. */
  get max(): number {
    return this.#max;
  }

  /**
   * A factory that takes a permit before each `create` and gives it back after each `destroy`
   * (and after a `create` that fails).
   *
   * @param factory - the pool's factory (`validate` and other fields are kept as they are).
   * @returns the same factory with `create` and `destroy` wrapped.
   */
  wrap<T, F extends BudgetedFactory<T>>(factory: F & BudgetedFactory<T>): F {
    const { create, destroy } = factory;
    return {
      ...factory,
      create: async (signal: AbortSignal): Promise<T> => {
        await this.#take(signal);
        try {
          return await create(signal);
        } catch (error) {
          this.#give();
          throw error;
        }
      },
      destroy: async (resource: T): Promise<void> => {
        try {
          await destroy?.(resource);
        } finally {
          this.#give();
        }
      },
    };
  }

  /** Resolves once a permit is this process's; rejects with the abort reason if `signal` aborts first. */
  async #take(signal: AbortSignal): Promise<void> {
    if (signal.aborted) throw abortReason(signal, `a permit of pool budget "${this.#name}"`);
    const ticket = this.#nextTicket++;
    const granted = Promise.resolve(this.#link.call(BUDGET_ACQUIRE, [this.#name, this.#max, ticket], true));
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => {
        reject(abortReason(signal, `a permit of pool budget "${this.#name}"`));
        // Too late if the permit is already on its way: then it comes back as `true` and is returned.
        Promise.resolve(this.#link.call(BUDGET_CANCEL, [this.#name, ticket])).catch(ignore);
        granted.then((got) => got === true && this.#give(), ignore);
      };
      signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      const got = await Promise.race([granted, aborted]);
      if (got !== true) throw abortReason(signal, `a permit of pool budget "${this.#name}"`);
    } finally {
      if (onAbort !== undefined) signal.removeEventListener('abort', onAbort);
    }
  }

  #give(): void {
    Promise.resolve(this.#link.call(BUDGET_RELEASE, [this.#name])).catch(ignore);
  }
}

function ignore(): void {}
