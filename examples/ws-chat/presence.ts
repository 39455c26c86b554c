// Who is online across every worker (and, with REDIS_URL, every machine), over any loadstone Bus.
//
// A bus carries messages but keeps no state, and delivers at most once: a worker that starts (or
// restarts) has missed every earlier join, and a worker that crashes never says goodbye. So this
// is soft state: each worker ("node") publishes its whole roster on every change and every
// `announceMs`; everyone keeps the latest roster per node and forgets a node whose roster was not
// refreshed within three periods. A new node says hello, and the others answer with their rosters
// at once, so it does not wait a whole period to see who is online.
import { randomUUID } from 'node:crypto';
import type { Bus, JsonValue } from 'loadstone';

const CHANNEL = 'ws-chat:presence';

type Roster = { node: string; users: string[]; hello?: true; bye?: true };

export class Presence {
  /** This worker's id on the bus: unique per process, so a replacement worker is a new node. */
  readonly node = randomUUID();
  readonly #bus: Bus;
  readonly #announceMs: number;
  readonly #onChange: (online: readonly string[]) => void;
  /** Users connected to this worker, with their number of connections. */
  readonly #local = new Map<string, number>();
  /** The other nodes' latest rosters. */
  readonly #remote = new Map<string, { users: readonly string[]; expiresAt: number }>();
  #online: readonly string[] = [];
  #timer: NodeJS.Timeout | undefined;
  #subscription: Disposable | undefined;

  constructor(bus: Bus, onChange: (online: readonly string[]) => void, announceMs = 5_000) {
    this.#bus = bus;
    this.#onChange = onChange;
    this.#announceMs = announceMs;
  }

  /** Everyone online on any node, sorted, each name once. */
  get online(): readonly string[] {
    return this.#online;
  }

  start(): void {
    this.#subscription = this.#bus.subscribe(CHANNEL, (message) => this.#receive(message));
    this.#announce({ hello: true });
    this.#timer = setInterval(() => {
      this.#expire();
      this.#announce();
    }, this.#announceMs);
    this.#timer.unref(); // an idle worker must still be able to exit
  }

  add(user: string): void {
    this.#local.set(user, (this.#local.get(user) ?? 0) + 1);
    this.#recompute();
    this.#announce();
  }

  remove(user: string): void {
    const count = this.#local.get(user) ?? 0;
    if (count > 1) this.#local.set(user, count - 1);
    else this.#local.delete(user);
    this.#recompute();
    this.#announce();
  }

  /** Says goodbye (others drop this node at once) and stops listening. Call before closing the bus. */
  stop(): void {
    clearInterval(this.#timer);
    this.#local.clear();
    this.#announce({ bye: true });
    this.#subscription?.[Symbol.dispose]();
  }

  #announce(flags: { hello?: true; bye?: true } = {}): void {
    const roster: Roster = { node: this.node, users: [...this.#local.keys()], ...flags };
    // At most once: a lost roster is repaired by the next periodic one.
    this.#bus.publish(CHANNEL, roster).catch((error: unknown) => {
      console.error(`ws-chat: presence not published: ${String(error)}`);
    });
  }

  #receive(message: JsonValue): void {
    const roster = message as Partial<Roster> | null;
    if (typeof roster?.node !== 'string' || !Array.isArray(roster.users) || roster.node === this.node) return;
    if (roster.bye) this.#remote.delete(roster.node);
    else {
      const users = roster.users.filter((u): u is string => typeof u === 'string');
      this.#remote.set(roster.node, { users, expiresAt: Date.now() + 3 * this.#announceMs });
    }
    if (roster.hello) this.#announce();
    this.#recompute();
  }

  #expire(): void {
    const now = Date.now();
    for (const [node, roster] of this.#remote) if (roster.expiresAt < now) this.#remote.delete(node);
    this.#recompute();
  }

  #recompute(): void {
    const all = new Set(this.#local.keys());
    for (const roster of this.#remote.values()) for (const user of roster.users) all.add(user);
    const online = [...all].sort();
    if (online.join('\n') === this.#online.join('\n')) return;
    this.#online = online;
    this.#onChange(online);
  }
}
