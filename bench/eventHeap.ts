// A binary min-heap of timed events, for the discrete-event simulations (virtual clock).

/** Events ordered by `at`, earliest first. */
export class EventHeap<E extends { readonly at: number }> {
  readonly #items: E[] = [];
  get size(): number {
    return this.#items.length;
  }
  peek(): E | undefined {
    return this.#items[0];
  }
  push(item: E): void {
    const a = this.#items;
    a.push(item);
    let i = a.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if ((a[parent] as E).at <= item.at) break;
      a[i] = a[parent] as E;
      i = parent;
    }
    a[i] = item;
  }
  pop(): E | undefined {
    const a = this.#items;
    const top = a[0];
    const last = a.pop();
    if (a.length === 0 || last === undefined) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= a.length) break;
      const r = l + 1;
      const child = r < a.length && (a[r] as E).at < (a[l] as E).at ? r : l;
      if ((a[child] as E).at >= last.at) break;
      a[i] = a[child] as E;
      i = child;
    }
    a[i] = last;
    return top;
  }
}
