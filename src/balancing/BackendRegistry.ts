// Internal: the balancer's backends by id, the lists of those that are up (what the pick path
// hands the strategy, cached until a backend changes), and each backend's state changes,
// announced as `backend:down`/`backend:up`.
import type { EventEmitter } from 'node:events';
import type { Clock, HealthCheck } from '../core/index.js';
import { InvalidOptionError } from '../core/index.js';
import type { Backend, BackendCandidate, BackendInput } from './Backend.js';
import { BackendEntry } from './BackendEntry.js';
import { type BackendChangeReason, downEvent, type LoadBalancerEvents, upEvent } from './events.js';
import { makeHealthCheck, resolveBackend } from './resolveOptions.js';

/** @internal Where state changes are announced: the balancer. */
export type BackendEvents = Pick<EventEmitter<LoadBalancerEvents>, 'emit'>;

const EMPTY: readonly never[] = Object.freeze([]);

/** @internal */
export class BackendRegistry<T> {
  readonly #entries = new Map<string, BackendEntry<T>>();
  readonly #clock: Clock;
  readonly #tauMs: number;
  readonly #checkFactory: ((backend: Backend<T>) => HealthCheck) | undefined;
  readonly #events: BackendEvents;
  /** Backends that are up, and per group its members that are up; rebuilt after any change. */
  #up: readonly BackendCandidate<T>[] | undefined;
  /**
   * Each group's members that are up, for the groups some backend that is up belongs to: a
   * request's `ctx.group` is request data, so a group no backend has is not kept (200,000
   * distinct ones held 15 MB for good when every group was).
   */
  readonly #groupUp = new Map<string, readonly BackendCandidate<T>[]>();
  /** The groups of the backends that are up. */
  #upGroups: ReadonlySet<string> | undefined;

  constructor(
    clock: Clock,
    tauMs: number,
    checkFactory: ((backend: Backend<T>) => HealthCheck) | undefined,
    events: BackendEvents,
  ) {
    this.#clock = clock;
    this.#tauMs = tauMs;
    this.#checkFactory = checkFactory;
    this.#events = events;
  }

  /** Number of backends, whatever their state. */
  get size(): number {
    return this.#entries.size;
  }

  /** Every backend, in the order they were added. */
  values(): IterableIterator<BackendEntry<T>> {
    return this.#entries.values();
  }

  get(id: string): BackendEntry<T> | undefined {
    return this.#entries.get(id);
  }

  /** The backend with this id; throws for an id not in the balancer. */
  entry(id: string): BackendEntry<T> {
    const entry = this.#entries.get(id);
    if (entry === undefined) throw new InvalidOptionError('id', 'the id of a backend in the balancer', id);
    return entry;
  }

  /** Validates a backend (`path` names it in errors) and adds it, up. */
  insert(input: BackendInput<T>, path: string): void {
    const backend = resolveBackend(path, input);
    if (this.#entries.has(backend.id)) {
      throw new InvalidOptionError(`${path}.id`, 'an id not already in the balancer', backend.id);
    }
    const entry = new BackendEntry(backend, this.#clock, this.#tauMs);
    if (this.#checkFactory !== undefined) entry.healthCheck = makeHealthCheck(this.#checkFactory, backend);
    this.#entries.set(backend.id, entry);
    this.invalidate();
  }

  /**
   * Takes a backend out of the map and stops its checks; throws for an unknown id. The lists
   * of backends that are up are left to `invalidate`, once the strategy has forgotten it.
   */
  delete(id: string): BackendEntry<T> {
    const entry = this.entry(id);
    this.#entries.delete(id);
    entry.healthCheck = undefined;
    return entry;
  }

  upList(): readonly BackendCandidate<T>[] {
    if (this.#up === undefined) {
      const up: BackendCandidate<T>[] = [];
      for (const entry of this.#entries.values()) if (entry.state === 'up') up.push(entry.candidate);
      this.#up = up.length === 0 ? EMPTY : up;
    }
    return this.#up;
  }

  /** The group's members that are up; all backends that are up when none is. */
  groupList(group: string): readonly BackendCandidate<T>[] {
    let list = this.#groupUp.get(group);
    if (list === undefined) {
      if (!this.#groupsOfUp().has(group)) return this.upList();
      list = this.upList().filter((c) => c.groups.includes(group));
      this.#groupUp.set(group, list);
    }
    return list;
  }

  invalidate(): void {
    this.#up = undefined;
    this.#upGroups = undefined;
    this.#groupUp.clear();
  }

  #groupsOfUp(): ReadonlySet<string> {
    if (this.#upGroups === undefined) {
      const groups = new Set<string>();
      for (const candidate of this.upList()) for (const group of candidate.groups) groups.add(group);
      this.#upGroups = groups;
    }
    return this.#upGroups;
  }

  /** Applies `change` to a backend and emits `backend:down`/`backend:up` if it changed its being picked. */
  transition(
    entry: BackendEntry<T>,
    reason: BackendChangeReason,
    change: () => void,
    extra?: { durationMs?: number; message?: string | undefined },
  ): void {
    const before = entry.state;
    change();
    const after = entry.state;
    if (before === after) return;
    this.invalidate();
    if (!this.#entries.has(entry.backend.id)) return;
    if (after === 'up') this.#events.emit('backend:up', upEvent(entry.backend.id, reason));
    else if (before === 'up') this.#events.emit('backend:down', downEvent(entry.backend.id, reason, extra));
  }

  /** What the active health checker reports: a backend crossed its unhealthy or healthy threshold. */
  setCheckDown(entry: BackendEntry<T>, down: boolean, message: string | undefined): void {
    this.transition(
      entry,
      'health-check',
      () => {
        entry.checkDown = down;
      },
      { message },
    );
  }
}
