import type { Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import { InvalidOptionError } from '../../core/errors/InvalidOptionError.js';
import { isLoadstoneError } from '../../core/errors/index.js';
import { checkOptionKeys, integerOption, optionNames, optionsObject } from '../../core/internal/validate.js';
import type { MetricsSource } from '../../core/MetricsSource.js';
import { BudgetService } from './BudgetService.js';
import { LockService } from './LockService.js';
import {
  isCallId,
  STATE_CALLS,
  STATE_REPLIES,
  type StateReply,
  stateEnvelope,
  stateItems,
} from './messages.js';
import { RateLimitService } from './RateLimitService.js';
import type { StateService } from './StateService.js';

/** A snapshot of {@link ClusterStateHost} counters since it was created. */
export type ClusterStateHostStats = {
  /** Calls answered, from workers and from the primary itself. */
  readonly calls: number;
  /** Calls answered with an error (bad arguments, a full table). */
  readonly failed: number;
  /** Malformed `state:*` messages or calls dropped unanswered (a worker's caller then times out). */
  readonly dropped: number;
  /** Rate-limit keys the primary decides (keys at their limit); the rest are decided on the workers' shares. */
  readonly rateLimitKeys: number;
  /** Locks held. */
  readonly locks: number;
  /** Pool budget permits held, over all budgets. */
  readonly permits: number;
  /** Pool creates waiting for a permit, over all budgets. */
  readonly permitWaiters: number;
};

/** Options of {@link ClusterStateHost}. */
export type ClusterStateHostOptions = {
  /**
   * How many worker processes decide rate limits alone, each on `1 / shares` of every key's limit
   * (see {@link ClusterRateLimitStore}); workers past it ask the primary for every decision. An
   * integer from 1 to 1,024.
   * @default twice `os.availableParallelism()`
   */
  readonly shares?: number;
};

const OPTIONS = optionNames<ClusterStateHostOptions>()(['shares']);
/** Most shares: each is a slot scanned per declaration and recalled per merged key. */
const MAX_SHARES = 1_024;

/** What a worker-side or primary-side part needs from the host. @internal */
export type StateHostLink = {
  /** Answers `op` for the primary itself, synchronously; throws the service's error. */
  call(op: string, args: readonly unknown[]): unknown;
};

/** @internal */
export const stateHostLinks = new WeakMap<ClusterStateHost, StateHostLink>();

/**
 * The cluster primary's half of cluster-wide state: it keeps, in the primary's memory, what the
 * workers' {@link ClusterRateLimitStore}, {@link ClusterLock} and {@link ClusterPoolBudget}
 * share, and answers their calls.
 * Each worker sends the calls of one event-loop turn as one IPC message and gets one message
 * back, so a decision costs a fraction of a round trip. Rate limits are decided on the workers'
 * shares of each key where they can (`options.shares`); the host gives the shares out, recalls a
 * key's shares when one runs out and decides that key itself until it is back to empty.
 *
 * It checks every call (a hostile worker gets an error back or is ignored, never crashes the
 * primary) and, when a worker exits, drops at once what it held: its locks go to the next
 * caller, its pool permits to the oldest waiter, and its rate-limit shares count as spent until
 * they have drained. Memory is bounded: at most 100,000 rate-limit keys decided here (the oldest
 * dropped first, as in {@link MemoryRateLimitStore}), 10,000 distinct limiter rules, 100,000
 * locks, 1,000 pool budgets and 100,000 callers waiting for a permit.
 *
 * `ClusterSupervisor` creates one and feeds it (`supervisor.clusterState`); build your own only
 * with a hand-written primary, and pass it each worker's messages and exits.
 *
 * @example
 * {@includeCode ./ClusterStateHost.test.ts#host}
 */
export class ClusterStateHost implements MetricsSource<ClusterStateHostStats> {
  readonly #rateLimits: RateLimitService;
  readonly #locks = new LockService();
  readonly #budgets = new BudgetService();
  readonly #services: readonly StateService[];
  /** The workers that called, by pid: the rate limits' recalls go to them. */
  readonly #workers = new Map<number, Worker>();
  readonly #byOp = new Map<string, StateService>();
  #calls = 0;
  #failed = 0;
  #dropped = 0;

  /**
   * @param options - `shares`: how many workers decide rate limits alone, each on `1 / shares` of
   *   every key's limit (an integer from 1 to 1,024; default twice the machine's
   *   `availableParallelism()`, so replacements find a free share while the dead one drains).
   *   `ClusterSupervisor` sets twice its most workers.
   * @throws {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION` for a bad option.
   */
  constructor(options?: ClusterStateHostOptions) {
    const opts = optionsObject('options', options);
    checkOptionKeys(opts, OPTIONS, 'ClusterStateHost');
    const shares = integerOption('options.shares', opts.shares ?? 2 * availableParallelism(), 1, MAX_SHARES);
    this.#rateLimits = new RateLimitService(shares, (owner, type, items) => {
      const worker = this.#workers.get(owner);
      if (worker !== undefined) send(worker, type, items);
    });
    this.#services = [this.#rateLimits, this.#locks, this.#budgets];
    for (const service of this.#services) {
      for (const op of service.ops) this.#byOp.set(op, service);
    }
    stateHostLinks.set(this, {
      call: (op, args) => {
        this.#calls++;
        return this.#service(op).call(process.pid, op, args);
      },
    });
  }

  /** Counters and table sizes. */
  stats(): ClusterStateHostStats {
    return {
      calls: this.#calls,
      failed: this.#failed,
      dropped: this.#dropped,
      rateLimitKeys: this.#rateLimits.size,
      locks: this.#locks.size,
      permits: this.#budgets.held,
      permitWaiters: this.#budgets.waiting,
    };
  }

  /**
   * Answers a `state:calls` message from `worker` with one `state:replies` message. Never throws.
   *
   * @param worker - the sender.
   * @param message - anything the worker sent.
   * @returns `false` when `message` is not a well-formed `state:calls` message (it is then
   *   counted as dropped if it claimed to be one), `true` when it was answered.
   */
  receive(worker: Worker, message: unknown): boolean {
    const items = stateItems(message, STATE_CALLS);
    if (items === undefined) return false;
    const owner = worker.process.pid ?? -1;
    if (!this.#workers.has(owner)) this.#workers.set(owner, worker);
    const replies: StateReply[] = [];
    for (const item of items) {
      const reply = this.#answer(worker, owner, item);
      if (reply === undefined) this.#dropped++;
      else if (reply !== LATER) replies.push(reply);
    }
    send(worker, STATE_REPLIES, replies);
    return true;
  }

  /**
   * The process `pid` exited: its locks and pool permits go back at once (to the oldest waiters).
   * @param pid - the worker's process id.
   */
  workerExited(pid: number): void {
    this.#workers.delete(pid);
    for (const service of this.#services) service.ownerGone(pid);
  }

  /** The reply to one call; {@link LATER} when it comes later (a wait); `undefined` to drop it. */
  #answer(worker: Worker, owner: number, item: unknown): StateReply | typeof LATER | undefined {
    if (!Array.isArray(item) || !isCallId(item[0]) || typeof item[1] !== 'string') return undefined;
    const id = item[0];
    this.#calls++;
    try {
      const value = this.#service(item[1]).call(owner, item[1], item.slice(2));
      if (!(value instanceof Promise)) return [id, 0, value];
      value.then(
        (settled: unknown) => send(worker, STATE_REPLIES, [[id, 0, settled]]),
        (error: unknown) => send(worker, STATE_REPLIES, [this.#failure(id, error)]),
      );
      return LATER;
    } catch (error) {
      return this.#failure(id, error);
    }
  }

  #failure(id: number, error: unknown): StateReply {
    this.#failed++;
    if (isLoadstoneError(error)) return [id, 1, error.code, error.message];
    return [id, 1, 'ERR_LOADSTONE_INVALID_OPTION', String(error)];
  }

  #service(op: string): StateService {
    const service = this.#byOp.get(op);
    if (service === undefined) throw new InvalidOptionError('op', 'a cluster state operation', op);
    return service;
  }
}

/** Marks a call answered later, in a message of its own (a wait for a permit). */
const LATER = Symbol('later');

function send(worker: Worker, type: string, items: readonly unknown[]): void {
  if (items.length === 0 || !worker.isConnected()) return;
  try {
    worker.send(stateEnvelope(type, items), undefined, {}, ignore);
  } catch {
    // The worker's channel closed meanwhile: its calls end with it.
  }
}

function ignore(): void {}
