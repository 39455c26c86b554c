// The example runs with `node --trace-gc` (workers inherit the flag through the cluster's
// execArgv): every collection prints one line on stdout, and a full one (Mark-Compact) tells
// exactly what survived it. That is the heap figure a leak moves. heapUsed sampled from outside
// is a sawtooth between collections (15–20 MiB up to 35–75 MiB per worker here), so its means
// moved ±13 % from minute to minute with nothing kept, while the mean heap left by the workers'
// full GCs (11–15 a minute) moved by a few hundred KiB (17.0–17.3 MiB in a 3-minute run).
//
//   [7536:0x3bcccdf0]    40698 ms: Mark-Compact 59.4 (88.9) -> 15.9 (73.6) MB, 19.12 / 0.02 ms …
//    pid  isolate        isolate age  kind        before  (committed) after (committed), MiB

/** One full collection of one isolate. */
export type FullGc = {
  readonly pid: number;
  readonly isolate: string;
  /** Milliseconds since the isolate started (the process's age, for its main isolate). */
  readonly isolateMs: number;
  /** When the line arrived, in milliseconds since the start of the load (negative before it). */
  readonly atMs: number;
  /** `Mark-Compact` or `Mark-Compact (reduce)` (a memory-reducing one, e.g. when idle). */
  readonly kind: string;
  readonly beforeMiB: number;
  readonly afterMiB: number;
};

const GC_LINE =
  /^\[(\d+):(0x[0-9a-f]+)\]\s+(\d+) ms: ([A-Za-z-]+(?: \([a-z]+\))?) ([\d.]+) \([\d.]+\) -> ([\d.]+) \([\d.]+\) MB/;

/** The trace lines of every process of the example, as they arrive. */
export class GcLog {
  readonly fullGcs: FullGc[] = [];
  /** Collections (of any kind) per `pid:isolate`, to tell a process's main isolate from its threads'. */
  readonly #counts = new Map<string, number>();

  /**
   * Reads one stdout line.
   *
   * @returns whether it was a GC trace line.
   */
  read(line: string, atMs: number): boolean {
    const m = GC_LINE.exec(line);
    if (m === null) return false;
    const [, pid, isolate, isolateMs, kind, before, after] = m as unknown as string[];
    const key = `${pid}:${isolate}`;
    this.#counts.set(key, (this.#counts.get(key) ?? 0) + 1);
    if (kind?.startsWith('Mark-Compact')) {
      this.fullGcs.push({
        pid: Number(pid),
        isolate: isolate as string,
        isolateMs: Number(isolateMs),
        atMs,
        kind,
        beforeMiB: Number(before),
        afterMiB: Number(after),
      });
    }
    return true;
  }

  /** All collections counted, of every kind. */
  get collections(): number {
    let n = 0;
    for (const c of this.#counts.values()) n += c;
    return n;
  }

  /**
   * The main isolate of `pid`: the one that collected most often (it runs the server; the
   * tsx loader thread and the hashing threads allocate little on their V8 heaps).
   */
  mainIsolate(pid: number): string | undefined {
    let best: string | undefined;
    let most = 0;
    for (const [key, n] of this.#counts) {
      const [p, isolate] = key.split(':');
      if (Number(p) === pid && n > most) {
        most = n;
        best = isolate;
      }
    }
    return best;
  }
}
