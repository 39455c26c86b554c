/**
 * A FIFO of waiting acquires over one array and a head index: `shift` is O(1) and allocates
 * nothing, and cancelled entries are skipped lazily (they stay in the array, flagged, until the
 * head passes them) so a timeout or an abort never searches the queue.
 *
 * @internal
 */
export class WaiterQueue<W extends { state: number }> {
  #items: (W | undefined)[] = [];
  #head = 0;

  /**
   * The array's length: entries waiting, plus those taken or cancelled that it still holds until the
   * next compaction. What the memory bound is stated in (see `#compact`).
   */
  get slots(): number {
    return this.#items.length;
  }

  /** Appends `w`. */
  push(w: W): void {
    this.#items.push(w);
  }

  /** Puts `w` back at the front (a waiter whose borrowed resource failed validation). */
  unshift(w: W): void {
    if (this.#head > 0) this.#items[--this.#head] = w;
    else this.#items.unshift(w);
  }

  /** Removes and returns the oldest entry whose `state` is not `dead`, dropping dead ones on the way. */
  shift(dead: number): W | undefined {
    const items = this.#items;
    while (this.#head < items.length) {
      const w = items[this.#head] as W;
      items[this.#head++] = undefined;
      if (w.state !== dead) {
        this.#compact();
        return w;
      }
    }
    this.#compact();
    return undefined;
  }

  /** The oldest entry whose `state` is not `dead`, left in place; dead ones before it are dropped. */
  peek(dead: number): W | undefined {
    const items = this.#items;
    while (this.#head < items.length) {
      const w = items[this.#head] as W;
      if (w.state !== dead) return w;
      items[this.#head++] = undefined;
    }
    this.#compact();
    return undefined;
  }

  /** Removes and returns every entry (dead ones included). */
  drain(): W[] {
    const rest = this.#items.slice(this.#head) as W[];
    this.#items = [];
    this.#head = 0;
    return rest;
  }

  /**
   * Empties the array once every entry is gone; otherwise cuts off the taken prefix once it is
   * 1,024 slots long and at least half the array. After a take the prefix is thus under 1,024
   * slots or under half the array, and each entry is moved O(1) times on average.
   */
  #compact(): void {
    const items = this.#items;
    if (this.#head === items.length) {
      items.length = 0;
      this.#head = 0;
    } else if (this.#head >= 1024 && this.#head * 2 >= items.length) {
      items.splice(0, this.#head);
      this.#head = 0;
    }
  }
}
