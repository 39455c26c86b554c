// A run's answers over time, for the HTML report: per 250 ms bucket, the answers, the failures
// and their latency (loadstone's LatencyRecorder: an HDR histogram), plus marks for what the demo
// did when (a stage began, the SIGHUP, the reload's end).
import { LatencyRecorder } from 'loadstone';

const BUCKET_MS = 250;

/** One bucket of the run, as the report draws it. */
export type TimelinePoint = {
  /** Seconds from the start of the run (the bucket's end). */
  readonly t: number;
  readonly perSecond: number;
  readonly failed: number;
  /** `null` when nothing was answered in the bucket. */
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
};

export type TimelineMark = { readonly t: number; readonly label: string };

type Bucket = { answered: number; failed: number; latency: LatencyRecorder };

export class Timeline {
  /** Time zero: the first answer or mark (the load's start), not the server's start-up before it. */
  #origin: number | undefined;
  readonly #buckets: Bucket[] = [];
  readonly #marks: TimelineMark[] = [];

  /** An answer (or a failure) that arrived now and took `latencyMs`. */
  record(latencyMs: number, failed: boolean): void {
    const index = Math.floor(this.#elapsedMs() / BUCKET_MS);
    while (this.#buckets.length <= index) {
      this.#buckets.push({ answered: 0, failed: 0, latency: new LatencyRecorder() });
    }
    const bucket = this.#buckets[index] as Bucket;
    bucket.answered++;
    if (failed) bucket.failed++;
    bucket.latency.record(latencyMs);
  }

  /** Something the demo did now. */
  mark(label: string): void {
    this.#marks.push({ t: this.#elapsedMs() / 1000, label });
  }

  get marks(): readonly TimelineMark[] {
    return this.#marks;
  }

  #elapsedMs(): number {
    this.#origin ??= performance.now();
    return performance.now() - this.#origin;
  }

  points(): TimelinePoint[] {
    return this.#buckets.map((bucket, i) => {
      const latency = bucket.latency.snapshot();
      return {
        t: ((i + 1) * BUCKET_MS) / 1000,
        perSecond: (bucket.answered * 1000) / BUCKET_MS,
        failed: bucket.failed,
        p50Ms: bucket.answered === 0 ? null : latency.p50Ms,
        p99Ms: bucket.answered === 0 ? null : latency.p99Ms,
      };
    });
  }
}
