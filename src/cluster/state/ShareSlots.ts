type Slot = {
  /** The process deciding on this share; `undefined` when free or draining. */
  owner: number | undefined;
  /** Until when a dead holder's share may still hold cost, on the primary's clock. */
  drainsAt: number;
};

/**
 * The shares of one rate-limit namespace: a fixed number of slots, each a process that decides
 * its share of every key alone. A dead holder's slot drains (its cost may still count) before it
 * is given again. @internal
 */
export class ShareSlots {
  readonly #slots: Slot[];

  /** @param count - how many processes may hold a share; each holds `1 / count` of every key. */
  constructor(count: number) {
    this.#slots = Array.from({ length: count }, () => ({ owner: undefined, drainsAt: 0 }));
  }

  /** Each share's part of a key's limit. */
  get fraction(): number {
    return 1 / this.#slots.length;
  }

  /**
   * Gives `owner` a share, or the one it holds.
   * @returns the slot, or `undefined` when every slot is held or draining.
   */
  take(owner: number, now: number): Slot | undefined {
    const held = this.#slots.find((s) => s.owner === owner);
    if (held !== undefined) return held;
    const free = this.#slots.find((s) => s.owner === undefined && s.drainsAt <= now);
    if (free === undefined) return undefined;
    free.owner = owner;
    return free;
  }

  /** `true` when `owner` holds a share (it decides the keys that are not central alone). */
  holds(owner: number): boolean {
    for (const slot of this.#slots) if (slot.owner === owner) return true;
    return false;
  }

  /** `owner` is gone: its share drains for `drainMs` before another process may take it. */
  release(owner: number, now: number, drainMs: number): boolean {
    const slot = this.#slots.find((s) => s.owner === owner);
    if (slot === undefined) return false;
    slot.owner = undefined;
    slot.drainsAt = now + drainMs;
    return true;
  }

  /** The processes holding a share (to recall a key from). */
  holders(): number[] {
    const owners: number[] = [];
    for (const slot of this.#slots) if (slot.owner !== undefined) owners.push(slot.owner);
    return owners;
  }

  /** Shares of dead holders that may still hold cost at `now`: each counts as full. */
  draining(now: number): number {
    let count = 0;
    for (const slot of this.#slots) if (slot.owner === undefined && slot.drainsAt > now) count++;
    return count;
  }
}
