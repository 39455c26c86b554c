// The pool's queue of tasks waiting for a thread. Internal.
//
// Most tasks have the default priority 0, so those go in a ring buffer (O(1), no allocation per
// task once grown); other priorities go in two binary heaps, above and below it. Order: higher
// priority first, call order (`seq`) within a priority. Removal is lazy: a removed item is
// flagged and skipped when it reaches the front, so aborting a queued task is O(1).

/** What the queue needs of an item. */
export type RunQueueItem = {
  /** Higher first. */
  readonly priority: number;
  /** Call order; ties within a priority are broken by it (lower first). */
  readonly seq: number;
  /** Set by {@link RunQueue.remove}; a removed item is never dequeued. */
  removed: boolean;
};

class Heap<T extends RunQueueItem> {
  readonly #items: T[] = [];

  get length(): number {
    return this.#items.length;
  }

  peek(): T | undefined {
    return this.#items[0];
  }

  push(item: T): void {
    const items = this.#items;
    let i = items.length;
    items.push(item);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = items[parent] as T;
      if (!before(item, p)) break;
      items[i] = p;
      i = parent;
    }
    items[i] = item;
  }

  pop(): T | undefined {
    const items = this.#items;
    const top = items[0];
    const last = items.pop();
    if (top === undefined || last === undefined || items.length === 0) return top;
    let i = 0;
    const n = items.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const child = r < n && before(items[r] as T, items[l] as T) ? r : l;
      const c = items[child] as T;
      if (!before(c, last)) break;
      items[i] = c;
      i = child;
    }
    items[i] = last;
    return top;
  }
}

function before(a: RunQueueItem, b: RunQueueItem): boolean {
  return a.priority > b.priority || (a.priority === b.priority && a.seq < b.seq);
}

/** A double-ended ring buffer that grows by doubling. */
class Ring<T> {
  #buf: (T | undefined)[] = new Array(16);
  #head = 0;
  #length = 0;

  get length(): number {
    return this.#length;
  }

  peek(): T | undefined {
    return this.#length === 0 ? undefined : this.#buf[this.#head];
  }

  push(item: T): void {
    if (this.#length === this.#buf.length) this.#grow();
    this.#buf[(this.#head + this.#length) & (this.#buf.length - 1)] = item;
    this.#length++;
  }

  unshift(item: T): void {
    if (this.#length === this.#buf.length) this.#grow();
    this.#head = (this.#head - 1) & (this.#buf.length - 1);
    this.#buf[this.#head] = item;
    this.#length++;
  }

  shift(): T | undefined {
    if (this.#length === 0) return undefined;
    const item = this.#buf[this.#head];
    this.#buf[this.#head] = undefined;
    this.#head = (this.#head + 1) & (this.#buf.length - 1);
    this.#length--;
    return item;
  }

  #grow(): void {
    const old = this.#buf;
    const next: (T | undefined)[] = new Array(old.length * 2);
    for (let i = 0; i < this.#length; i++) next[i] = old[(this.#head + i) & (old.length - 1)];
    this.#buf = next;
    this.#head = 0;
  }
}

/** Priority queue of waiting tasks: higher priority first, FIFO within a priority. */
export class RunQueue<T extends RunQueueItem> {
  readonly #high = new Heap<T>();
  readonly #normal = new Ring<T>();
  readonly #low = new Heap<T>();
  #size = 0;

  /** Items queued and not removed. */
  get size(): number {
    return this.#size;
  }

  /** Adds an item behind the others of its priority. */
  push(item: T): void {
    item.removed = false;
    if (item.priority === 0) this.#normal.push(item);
    else if (item.priority > 0) this.#high.push(item);
    else this.#low.push(item);
    this.#size++;
  }

  /**
   * Puts back an item that was taken out (a task handed to a thread that died before starting
   * it), ahead of everything of its priority queued after it. Items of priority 0 are put at the
   * very front, so put several back in reverse order of `seq`.
   */
  pushFront(item: T): void {
    item.removed = false;
    if (item.priority === 0) this.#normal.unshift(item);
    else if (item.priority > 0) this.#high.push(item);
    else this.#low.push(item);
    this.#size++;
  }

  /** The next item, without taking it out. */
  peek(): T | undefined {
    this.#skipRemoved();
    return this.#high.peek() ?? this.#normal.peek() ?? this.#low.peek();
  }

  /** Takes out the next item. */
  shift(): T | undefined {
    this.#skipRemoved();
    const item =
      this.#high.length > 0
        ? this.#high.pop()
        : this.#normal.length > 0
          ? this.#normal.shift()
          : this.#low.pop();
    if (item !== undefined) this.#size--;
    return item;
  }

  /** Removes a queued item (lazily). Returns `false` if it was already removed. */
  remove(item: T): boolean {
    if (item.removed) return false;
    item.removed = true;
    this.#size--;
    return true;
  }

  /** Takes out every item, in order. */
  drain(): T[] {
    const all: T[] = [];
    for (let item = this.shift(); item !== undefined; item = this.shift()) all.push(item);
    return all;
  }

  #skipRemoved(): void {
    while (this.#high.peek()?.removed === true) this.#high.pop();
    while (this.#normal.peek()?.removed === true) this.#normal.shift();
    while (this.#low.peek()?.removed === true) this.#low.pop();
  }
}
