import type { JsonValue } from '../core/Json.js';

/** One Presence instance's entries, as this process knows them. */
export type Owner = {
  readonly pid: number;
  readonly host: string;
  /** When it was last heard from (the view's clock). */
  lastSeen: number;
  /** How many change messages of its we have applied; a gap means some were lost. */
  v: number;
  readonly entries: Map<string, JsonValue>;
  /** A full state arriving in parts, applied when the last part comes. */
  incoming: Map<string, JsonValue> | undefined;
};

/**
 * Estimated bytes of one entry: its map slots and counters (measured about 120 bytes on Node 20,
 * rounded up), two per character of the id, and two per character of the meta as JSON (a parsed
 * small object or array takes about that; measured 1.2 to 2 times its text).
 */
export function entryBytes(id: string, meta: JsonValue): number {
  return 160 + id.length * 2 + JSON.stringify(meta).length * 2;
}

/** The view's bounds: entries, and their estimated bytes ({@link entryBytes}). */
export type ViewBounds = { readonly maxEntries: number; readonly maxBytes: number };

/** What the view reports: an id with its first holder, or its last gone. */
export type ViewEvents = {
  online(id: string, meta: JsonValue): void;
  offline(id: string): void;
};

/**
 * Who is online, by id, over every Presence instance: each instance (owner) holds entries
 * `id → meta`, and an id is online while any owner holds it. Bounded by `maxEntries` and
 * `maxBytes` over all owners. Ids are Map keys, never object keys (`__proto__` is an ordinary id).
 */
export class PresenceView {
  readonly #owners = new Map<string, Owner>();
  /** id → how many owners hold it. */
  readonly #holders = new Map<string, number>();
  readonly #bounds: ViewBounds;
  readonly #events: ViewEvents;
  #entries = 0;
  #bytes = 0;
  /** Entries refused because the view was full. */
  dropped = 0;

  constructor(bounds: ViewBounds, events: ViewEvents) {
    this.#bounds = bounds;
    this.#events = events;
  }

  get entries(): number {
    return this.#entries;
  }

  /** Estimated bytes of all entries ({@link entryBytes}). */
  get bytes(): number {
    return this.#bytes;
  }

  get online(): number {
    return this.#holders.size;
  }

  get owners(): ReadonlyMap<string, Owner> {
    return this.#owners;
  }

  owner(key: string, pid: number, host: string, now: number): Owner {
    let owner = this.#owners.get(key);
    if (owner === undefined) {
      owner = { pid, host, lastSeen: now, v: 0, entries: new Map(), incoming: undefined };
      this.#owners.set(key, owner);
    }
    owner.lastSeen = now;
    return owner;
  }

  isOnline(id: string): boolean {
    return this.#holders.has(id);
  }

  /** Each holder's meta for `id` (one per process that joined it). */
  metas(id: string): JsonValue[] {
    const metas: JsonValue[] = [];
    if (!this.#holders.has(id)) return metas;
    for (const owner of this.#owners.values()) {
      const meta = owner.entries.get(id);
      if (meta !== undefined) metas.push(meta);
    }
    return metas;
  }

  /** Every online id with the meta of one of its holders. */
  list(): { id: string; meta: JsonValue }[] {
    const seen = new Map<string, JsonValue>();
    for (const owner of this.#owners.values()) {
      for (const [id, meta] of owner.entries) if (!seen.has(id)) seen.set(id, meta);
    }
    return [...seen].map(([id, meta]) => ({ id, meta }));
  }

  /**
   * Adds or updates an entry; `false` when the view is full (a new entry is not kept, an updated
   * one keeps its old meta).
   */
  set(owner: Owner, id: string, meta: JsonValue): boolean {
    const old = owner.entries.get(id);
    const bytes = entryBytes(id, meta);
    if (old !== undefined) {
      const grown = bytes - entryBytes(id, old);
      if (grown > 0 && this.#bytes + grown > this.#bounds.maxBytes) {
        this.dropped++;
        return false;
      }
      owner.entries.set(id, meta);
      this.#bytes += grown;
      return true;
    }
    if (this.#entries >= this.#bounds.maxEntries || this.#bytes + bytes > this.#bounds.maxBytes) {
      this.dropped++;
      return false;
    }
    owner.entries.set(id, meta);
    this.#entries++;
    this.#bytes += bytes;
    const holders = this.#holders.get(id) ?? 0;
    this.#holders.set(id, holders + 1);
    if (holders === 0) this.#events.online(id, meta);
    return true;
  }

  delete(owner: Owner, id: string): void {
    const meta = owner.entries.get(id);
    if (meta === undefined || !owner.entries.delete(id)) return;
    this.#entries--;
    this.#bytes -= entryBytes(id, meta);
    const holders = (this.#holders.get(id) ?? 1) - 1;
    if (holders > 0) this.#holders.set(id, holders);
    else {
      this.#holders.delete(id);
      this.#events.offline(id);
    }
  }

  /** Makes `owner`'s entries exactly `entries`: what is gone is deleted, what is new is set. */
  replace(owner: Owner, entries: Map<string, JsonValue>): void {
    for (const id of [...owner.entries.keys()]) if (!entries.has(id)) this.delete(owner, id);
    for (const [id, meta] of entries) this.set(owner, id, meta);
  }

  /** Forgets `key` and all its entries. */
  drop(key: string): void {
    const owner = this.#owners.get(key);
    if (owner === undefined) return;
    for (const id of [...owner.entries.keys()]) this.delete(owner, id);
    this.#owners.delete(key);
  }
}
