import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import type { Bus } from '../core/Bus.js';
import type { Clock } from '../core/Clock.js';
import type { Closeable, CloseOptions } from '../core/Closeable.js';
import { CapacityExceededError } from '../core/errors/CapacityExceededError.js';
import { ClosedError } from '../core/errors/ClosedError.js';
import { InvalidOptionError } from '../core/errors/InvalidOptionError.js';
import { drainUnlessAborted } from '../core/internal/abort.js';
import { assertJson } from '../core/internal/json.js';
import { signalOption } from '../core/internal/signalOption.js';
import type { JsonValue } from '../core/Json.js';
import type { MetricsSource } from '../core/MetricsSource.js';
import {
  type ChangeOp,
  changeMessages,
  ENTRIES_PER_MESSAGE,
  MAX_ID_LENGTH,
  type Origin,
  type PresenceMessage,
  readMessage,
} from './messages.js';
import { type PresenceOptions, resolvePresenceOptions } from './PresenceOptions.js';
import type { PresenceStats } from './PresenceStats.js';
import { type Owner, PresenceView } from './PresenceView.js';

/** Events of {@link Presence}. */
export type PresenceEvents = {
  /** `id` went from no holder to one, anywhere (with that holder's meta). */
  online: [id: string, meta: JsonValue];
  /** `id`'s last holder left, closed, exited or went silent. */
  offline: [id: string];
};

/** An online id, as {@link Presence.list} returns it. */
export type PresenceEntry = {
  /** The id joined. */
  readonly id: string;
  /** The meta one of its holders joined it with. */
  readonly meta: JsonValue;
};

/** Bus channel of the supervisor's worker-exit notices (loadstone/cluster `WORKER_EXITED_CHANNEL`). */
const WORKER_EXITED_CHANNEL = 'loadstone:worker:exited';
/** Largest meta, as JSON text: a meta travels in every join and every full copy. */
const MAX_META_BYTES = 4_096;

/**
 * Who is online, across every process that shares a {@link Bus}: `ClusterBus` for the workers of
 * one machine, `RedisBus` for many machines. Call `join(id, meta)` when a user connects to this
 * process and `leave(id)` when they go; any process can ask `isOnline(id)`, `list()`, and hear
 * `online` / `offline`. An id joined in several processes (two tabs on two workers) stays online
 * until the last one leaves; joins in one process are counted, so each `join` needs its `leave`.
 *
 * **Consistency.** Each process keeps the whole view in memory and applies the others' changes as
 * they arrive, so reads are local and instant, and eventually agree:
 * - a join or leave elsewhere shows after one bus hop (well under a millisecond on one machine);
 * - a worker that exits on this machine takes its ids with it at once (the supervisor's exit
 *   notice on a `ClusterBus`);
 * - a process or machine that goes silent (crash, partition) keeps its ids online for at most
 *   `ttlMs` (15 s by default), then they go offline;
 * - a message lost on the way (a partition, a Redis restart) is noticed at the next heartbeat at
 *   the latest, and the process that missed it asks for a full copy: after a partition heals both
 *   sides agree again within one heartbeat. During the partition each side sees its own changes
 *   only.
 *
 * Memory is bounded by `maxEntries` and `maxBytes` (entries past them from other processes are
 * dropped and counted; a local `join` past them throws).
 *
 * @example
 * {@includeCode ./Presence.test.ts#presence}
 */
export class Presence
  extends EventEmitter<PresenceEvents>
  implements Closeable, MetricsSource<PresenceStats>
{
  readonly #bus: Bus;
  readonly #channel: string;
  readonly #ttlMs: number;
  readonly #clock: Clock;
  readonly #origin: Origin;
  readonly #view: PresenceView;
  readonly #self: Owner;
  /** Local join counts: id → how many joins not yet left. */
  readonly #counts = new Map<string, number>();
  readonly #subscriptions: Disposable[];
  readonly #timer: NodeJS.Timeout;
  #ops: ChangeOp[] = [];
  #flushing: Promise<void> | undefined;
  #stateQueued = false;
  /** Change messages published. */
  #v = 0;
  #resyncs = 0;
  #malformed = 0;
  #closed = false;
  #closing: Promise<void> | undefined;

  /**
   * @param options - the bus, and the timings of heartbeats and expiry.
   * @throws {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION` for a bad or unknown option.
   */
  constructor(options: PresenceOptions) {
    super();
    const { bus, channel, heartbeatMs, ttlMs, maxEntries, maxBytes, clock } = resolvePresenceOptions(options);
    this.#bus = bus;
    this.#channel = channel;
    this.#ttlMs = ttlMs;
    this.#clock = clock;
    const host = hostname();
    this.#origin = { o: `${host}/${process.pid}/${randomBytes(6).toString('hex')}`, pid: process.pid, host };
    this.#view = new PresenceView(
      { maxEntries, maxBytes },
      {
        online: (id, meta) => this.#emit('online', id, meta),
        offline: (id) => this.#emit('offline', id),
      },
    );
    this.#self = this.#view.owner(this.#origin.o, process.pid, host, this.#clock.now());
    this.#subscriptions = [
      this.#bus.subscribe(this.#channel, (message) => this.#receive(message)),
      this.#bus.subscribe(WORKER_EXITED_CHANNEL, (notice) => this.#workerExited(notice)),
    ];
    this.#timer = setInterval(() => this.#heartbeat(), heartbeatMs);
    this.#timer.unref();
    // Ask everyone for their state: a process that starts late learns who is already online.
    this.#publish({ ...this.#origin, t: 'q', to: '*' });
  }

  /**
   * This process holds `id` (once more): it is online everywhere until every join is left.
   *
   * @param id - 1 to 1,024 characters; any string (ids are data: `__proto__` is an ordinary id).
   * @param meta - JSON that readers get with the id (a name, a status), at most 4 KiB as JSON; a
   *   later join of the same id replaces it.
   * @returns a promise that resolves once the join is handed to the bus.
   * @throws {@link InvalidOptionError} (as a rejection) for a bad id or meta.
   * @throws {@link CapacityExceededError} (as a rejection) when `maxEntries` or `maxBytes` is
   *   reached (a new meta of an id already joined is refused the same way).
   * @throws {@link ClosedError} (as a rejection) after `close()`.
   */
  async join(id: string, meta: JsonValue = null): Promise<void> {
    this.#check(id);
    assertJson(meta);
    const bytes = Buffer.byteLength(JSON.stringify(meta));
    if (bytes > MAX_META_BYTES)
      throw new InvalidOptionError('meta', `at most ${MAX_META_BYTES} bytes as JSON`, `${bytes} bytes`);
    const count = this.#counts.get(id) ?? 0;
    if (!this.#view.set(this.#self, id, meta)) {
      this.#view.dropped--; // a local join is refused, not dropped
      throw new CapacityExceededError('presence entries', this.#view.entries);
    }
    this.#counts.set(id, count + 1);
    this.#ops.push(['j', id, meta]);
    await this.#flush();
  }

  /**
   * Undoes one `join` of `id` in this process; the last one takes it offline here (and everywhere
   * if no other process holds it). Leaving an id not joined does nothing.
   *
   * @param id - the id joined.
   * @returns a promise that resolves once the leave is handed to the bus.
   * @throws {@link ClosedError} (as a rejection) after `close()`.
   */
  async leave(id: string): Promise<void> {
    this.#check(id);
    const count = this.#counts.get(id);
    if (count === undefined) return;
    if (count > 1) {
      this.#counts.set(id, count - 1);
      return;
    }
    this.#counts.delete(id);
    this.#view.delete(this.#self, id);
    this.#ops.push(['l', id]);
    await this.#flush();
  }

  /** Whether any process holds `id`. */
  isOnline(id: string): boolean {
    return this.#view.isOnline(id);
  }

  /** The meta of each process that holds `id` (empty when offline). */
  metas(id: string): JsonValue[] {
    return this.#view.metas(id);
  }

  /** Every online id, with the meta of one of its holders. */
  list(): PresenceEntry[] {
    return this.#view.list();
  }

  /** Counters and sizes. */
  stats(): PresenceStats {
    return {
      online: this.#view.online,
      entries: this.#view.entries,
      local: this.#counts.size,
      peers: this.#view.owners.size - 1,
      dropped: this.#view.dropped,
      bytes: this.#view.bytes,
      resyncs: this.#resyncs,
      malformed: this.#malformed,
    };
  }

  /** `true` once `close()` or `destroy()` has been called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Leaves every id this process holds (the others see them go at once, not after `ttlMs`) and
   * stops listening. The bus is not closed: it is yours. Idempotent.
   *
   * @param options - a `signal` to stop waiting for the bus (then as {@link Presence.destroy}).
   * @returns a promise that resolves once the goodbye is handed to the bus.
   * @throws `signal.reason`, as a rejection, when `options.signal` aborts first.
   */
  close(options?: CloseOptions): Promise<void> {
    let signal: AbortSignal | undefined;
    try {
      signal = signalOption(options, 'Presence.close');
    } catch (error) {
      return Promise.reject(error);
    }
    this.#closing ??= this.#shutdown(true);
    return drainUnlessAborted(this.#closing, signal, (reason) => this.destroy(reason), 'Presence.close');
  }

  /**
   * Stops at once, without telling the others: they drop this process's ids when its worker's
   * exit notice arrives or after `ttlMs`. Idempotent.
   * @param _reason - unused: nothing is left in flight to reject.
   * @returns a promise that resolves at once.
   */
  destroy(_reason?: unknown): Promise<void> {
    this.#closing ??= this.#shutdown(false);
    return Promise.resolve();
  }

  /** {@inheritDoc Presence.close} */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** Runs once: `close()` and `destroy()` share the first call's promise. */
  async #shutdown(sayGoodbye: boolean): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    for (const subscription of this.#subscriptions) subscription[Symbol.dispose]();
    if (sayGoodbye) {
      await this.#flushing?.catch(ignore);
      await this.#bus.publish(this.#channel, { ...this.#origin, t: 'x' }).catch(ignore);
    }
    this.#counts.clear();
    for (const key of [...this.#view.owners.keys()]) this.#view.drop(key);
  }

  #check(id: string): void {
    if (this.#closed) throw new ClosedError('Presence');
    if (typeof id !== 'string' || id.length === 0 || id.length > MAX_ID_LENGTH) {
      throw new InvalidOptionError('id', `a string of 1 to ${MAX_ID_LENGTH} characters`, id);
    }
  }

  /** Publishes the changes of this turn, in order, as few messages as fit. */
  #flush(): Promise<void> {
    this.#flushing ??= Promise.resolve().then(() => {
      this.#flushing = undefined;
      const messages = changeMessages(this.#origin, this.#ops, this.#v);
      this.#ops = [];
      this.#v += messages.length;
      return Promise.all(
        messages.map((m) => this.#bus.publish(this.#channel, m as unknown as JsonValue)),
      ).then(ignore);
    });
    return this.#flushing;
  }

  #receive(value: JsonValue): void {
    const m = readMessage(value);
    if (m === undefined) {
      this.#malformed++;
      return;
    }
    if (m.o === this.#origin.o) return; // our own: applied when made
    if (m.t === 'q') {
      if (m.to === '*' || m.to === this.#origin.o) this.#queueState();
      if (m.to === '*') this.#view.owner(m.o, m.pid, m.host, this.#clock.now());
      return;
    }
    if (m.t === 'x') {
      this.#view.drop(m.o);
      return;
    }
    const owner = this.#view.owner(m.o, m.pid, m.host, this.#clock.now());
    this.#apply(m, owner);
  }

  #apply(m: PresenceMessage, owner: Owner): void {
    const view = this.#view;
    if (m.t === 's') {
      owner.incoming ??= new Map();
      for (const [id, meta] of m.e) owner.incoming.set(id, meta);
      if (m.last) {
        view.replace(owner, owner.incoming);
        owner.incoming = undefined;
        owner.v = m.v;
      }
      return;
    }
    if (m.t === 'b') {
      if (owner.v !== m.v && owner.incoming === undefined) this.#askState(m.o);
      return;
    }
    if (m.t !== 'j' && m.t !== 'l') return;
    if (m.v !== owner.v + 1) this.#askState(m.o);
    owner.v = m.v;
    if (m.t === 'j') for (const [id, meta] of m.e) view.set(owner, id, meta);
    else for (const id of m.ids) view.delete(owner, id);
  }

  #askState(origin: string): void {
    this.#resyncs++;
    this.#publish({ ...this.#origin, t: 'q', to: origin });
  }

  /** Publishes our whole state once, however many asked in this turn. */
  #queueState(): void {
    if (this.#stateQueued) return;
    this.#stateQueued = true;
    queueMicrotask(() => {
      this.#stateQueued = false;
      if (this.#closed) return;
      const entries = [...this.#self.entries];
      for (let i = 0; i === 0 || i < entries.length; i += ENTRIES_PER_MESSAGE) {
        const part = entries.slice(i, i + ENTRIES_PER_MESSAGE);
        const last = i + ENTRIES_PER_MESSAGE >= entries.length;
        this.#publish({ ...this.#origin, t: 's', v: this.#v, e: part, last });
      }
    });
  }

  #heartbeat(): void {
    const now = this.#clock.now();
    for (const [key, owner] of this.#view.owners) {
      if (owner !== this.#self && now - owner.lastSeen > this.#ttlMs) this.#view.drop(key);
    }
    this.#publish({ ...this.#origin, t: 'b', v: this.#v });
  }

  /** A worker of this machine exited: whatever its Presence instances held goes at once. */
  #workerExited(notice: JsonValue): void {
    if (typeof notice !== 'object' || notice === null || Array.isArray(notice)) return;
    const { pid, host = this.#origin.host } = notice as { pid?: JsonValue; host?: JsonValue };
    for (const [key, owner] of this.#view.owners) {
      if (owner !== this.#self && owner.pid === pid && owner.host === host) this.#view.drop(key);
    }
  }

  #publish(message: PresenceMessage): void {
    if (this.#closed) return;
    // Best effort: a lost message is repaired by the next heartbeat's resync.
    this.#bus.publish(this.#channel, message as unknown as JsonValue).catch(ignore);
  }

  #emit<E extends keyof PresenceEvents>(event: E, ...args: PresenceEvents[E]): void {
    if (this.#closed) return; // a closed view empties itself silently
    try {
      (this.emit as (event: E, ...args: PresenceEvents[E]) => boolean)(event, ...args);
    } catch (error) {
      process.emitWarning(`Presence ${event} listener threw: ${String(error)}`, {
        code: 'LOADSTONE_WARN_PRESENCE_LISTENER_THREW',
      });
    }
  }
}

function ignore(): void {}
