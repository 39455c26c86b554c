/**
 * One series' newest `capacity` samples, as two preallocated `Float64Array`s (time and value):
 * 16 bytes a sample, allocated once, whatever is recorded later. The oldest sample is
 * overwritten when the ring is full.
 */
export class SeriesRing {
  readonly #times: Float64Array;
  readonly #values: Float64Array;
  /** Index the next sample goes to. */
  #next = 0;
  #size = 0;

  constructor(capacity: number) {
    this.#times = new Float64Array(capacity);
    this.#values = new Float64Array(capacity);
  }

  /** Samples held now (at most the capacity). */
  get size(): number {
    return this.#size;
  }

  /** Bytes held by the ring's arrays: fixed at construction. */
  get bytes(): number {
    return this.#times.byteLength + this.#values.byteLength;
  }

  push(time: number, value: number): void {
    const capacity = this.#times.length;
    this.#times[this.#next] = time;
    this.#values[this.#next] = value;
    this.#next = (this.#next + 1) % capacity;
    if (this.#size < capacity) this.#size++;
  }

  /** Calls `visit` for every sample with `time > after`, oldest first. */
  forEachAfter(after: number, visit: (time: number, value: number) => void): void {
    const capacity = this.#times.length;
    const oldest = (this.#next - this.#size + capacity) % capacity;
    for (let i = 0; i < this.#size; i++) {
      const at = (oldest + i) % capacity;
      const time = this.#times[at] as number;
      if (time > after) visit(time, this.#values[at] as number);
    }
  }
}
