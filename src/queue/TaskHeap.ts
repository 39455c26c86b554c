// The queue's engine: a binary max-heap ordered by (key desc, seq asc), so ties run FIFO.
// p-queue keeps a sorted array and splices into it (O(n) per out-of-order insert, O(n²) per
// burst); a heap is O(log n) for any mix of priorities, and a random-priority insert usually
// sifts up only a level or two.
// Internal: not exported from the module index.

/** The fields the heap orders by. */
export interface HeapEntry {
  /** Higher first. */
  key: number;
  /** Insertion order, lower first among equal keys. */
  seq: number;
}

/** What the queue needs of its store of waiting tasks. @internal */
export interface TaskStore<E extends HeapEntry> {
  readonly length: number;
  push(entry: E): void;
  pop(): E | undefined;
  /** Puts back entries popped earlier (in pop order), ahead of later ones of the same priority. */
  restore(entries: readonly E[]): void;
  /** Removes every entry and returns them, in no particular order. */
  drain(): E[];
  /** Keeps only the entries `keep` accepts. */
  filter(keep: (entry: E) => boolean): void;
}

/** @internal */
export class TaskHeap<E extends HeapEntry> implements TaskStore<E> {
  #items: E[] = [];

  get length(): number {
    return this.#items.length;
  }

  push(entry: E): void {
    const items = this.#items;
    let i = items.length;
    items.push(entry);
    // Sift up with a hole instead of swaps: one write per level.
    while (i > 0) {
      const parentIndex = (i - 1) >> 1;
      const parent = items[parentIndex] as E;
      if (!before(entry, parent)) break;
      items[i] = parent;
      i = parentIndex;
    }
    items[i] = entry;
  }

  peek(): E | undefined {
    return this.#items[0];
  }

  pop(): E | undefined {
    const items = this.#items;
    const top = items[0];
    const last = items.pop();
    if (top === undefined || last === undefined || items.length === 0) return top;
    const n = items.length;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      let child = left;
      let candidate = items[left] as E;
      if (right < n) {
        const r = items[right] as E;
        if (before(r, candidate)) {
          child = right;
          candidate = r;
        }
      }
      if (!before(candidate, last)) break;
      items[i] = candidate;
      i = child;
    }
    items[i] = last;
    return top;
  }

  restore(entries: readonly E[]): void {
    // `seq` puts them back in their place.
    for (const entry of entries) this.push(entry);
  }

  /** Removes every entry and returns them, in no particular order. */
  drain(): E[] {
    const items = this.#items;
    this.#items = [];
    return items;
  }

  /** Keeps only the entries `keep` accepts, then restores the heap order (O(n)). */
  filter(keep: (entry: E) => boolean): void {
    const kept = this.#items.filter(keep);
    this.#items = [];
    kept.sort((a, b) => (before(a, b) ? -1 : 1));
    // A sorted array is a valid heap.
    this.#items = kept;
  }
}

function before(a: HeapEntry, b: HeapEntry): boolean {
  if (a.key !== b.key) return a.key > b.key;
  // Stryker disable next-line EqualityOperator: no two entries share a seq
  return a.seq < b.seq;
}

/** A FIFO of the entries of one key: an array consumed from `head`, compacted now and then. */
class Bucket<E> {
  items: E[] = [];
  head = 0;
  constructor(readonly key: number) {}
}

/**
 * The store for fixed priorities (no aging): one FIFO per distinct priority, and a small heap of
 * the non-empty priorities. With a handful of levels, push and pop are O(1) apart from that
 * tiny heap, and FIFO order within a priority needs no comparison at all. @internal
 */
export class BucketQueue<E extends HeapEntry> implements TaskStore<E> {
  readonly #buckets = new Map<number, Bucket<E>>();
  /** The keys of the non-empty buckets, as a max-heap of buckets. */
  #active: Bucket<E>[] = [];
  #length = 0;

  get length(): number {
    return this.#length;
  }

  push(entry: E): void {
    const key = entry.key;
    let bucket = this.#buckets.get(key);
    if (bucket === undefined) {
      bucket = new Bucket<E>(key);
      this.#buckets.set(key, bucket);
    }
    if (bucket.items.length === bucket.head) this.#activate(bucket);
    bucket.items.push(entry);
    this.#length++;
  }

  pop(): E | undefined {
    const bucket = this.#active[0];
    if (bucket === undefined) return undefined;
    const entry = bucket.items[bucket.head] as E;
    bucket.items[bucket.head] = undefined as unknown as E; // let it be collected
    bucket.head++;
    this.#length--;
    if (bucket.head === bucket.items.length) {
      bucket.items = [];
      bucket.head = 0;
      this.#deactivateTop();
      // Keep the map small when priorities are many and fleeting (e.g. numeric ids).
      // Stryker disable next-line ConditionalExpression,EqualityOperator: memory only; a dropped bucket is made again on push
      if (this.#buckets.size > 64) this.#buckets.delete(bucket.key);
      return entry;
    }
    // Stryker disable next-line ConditionalExpression,EqualityOperator,LogicalOperator,ArithmeticOperator: when to compact is memory and speed; any rule pops the same entries
    if (bucket.head >= 1024 && bucket.head * 2 >= bucket.items.length) {
      bucket.items = bucket.items.slice(bucket.head);
      bucket.head = 0;
    }
    return entry;
  }

  restore(entries: readonly E[]): void {
    const byKey = new Map<number, E[]>();
    for (const entry of entries) {
      const list = byKey.get(entry.key);
      if (list === undefined) byKey.set(entry.key, [entry]);
      else list.push(entry);
    }
    for (const [key, list] of byKey) {
      let bucket = this.#buckets.get(key);
      if (bucket === undefined) {
        bucket = new Bucket<E>(key);
        this.#buckets.set(key, bucket);
      }
      if (bucket.items.length === bucket.head) this.#activate(bucket);
      bucket.items = list.concat(bucket.items.slice(bucket.head));
      bucket.head = 0;
      this.#length += list.length;
    }
  }

  drain(): E[] {
    const out: E[] = [];
    for (const bucket of this.#active) {
      for (let i = bucket.head; i < bucket.items.length; i++) out.push(bucket.items[i] as E);
    }
    this.#buckets.clear();
    this.#active = [];
    this.#length = 0;
    return out;
  }

  filter(keep: (entry: E) => boolean): void {
    // `drain` gives each bucket's entries in FIFO order, which pushing them again keeps.
    for (const entry of this.drain()) if (keep(entry)) this.push(entry);
  }

  #activate(bucket: Bucket<E>): void {
    const heap = this.#active;
    let i = heap.length;
    heap.push(bucket);
    while (i > 0) {
      const parentIndex = (i - 1) >> 1;
      const parent = heap[parentIndex] as Bucket<E>;
      // Stryker disable next-line EqualityOperator: the active buckets' keys are distinct
      if (parent.key >= bucket.key) break;
      heap[i] = parent;
      i = parentIndex;
    }
    heap[i] = bucket;
  }

  #deactivateTop(): void {
    const heap = this.#active;
    const last = heap.pop();
    if (last === undefined || heap.length === 0) return;
    const n = heap.length;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      let child = left;
      let candidate = heap[left] as Bucket<E>;
      const right = left + 1;
      // Stryker disable next-line EqualityOperator: the active buckets' keys are distinct
      if (right < n && (heap[right] as Bucket<E>).key > candidate.key) {
        child = right;
        candidate = heap[right] as Bucket<E>;
      }
      // Stryker disable next-line EqualityOperator: the active buckets' keys are distinct
      if (candidate.key <= last.key) break;
      heap[i] = candidate;
      i = child;
    }
    heap[i] = last;
  }
}
