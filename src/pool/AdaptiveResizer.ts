import type { PoolResizeReason } from './ConnectionPoolOptions.js';
import { OPEN } from './PoolState.js';
import type { ResolvedAdaptive } from './resolveOptions.js';

/** What adaptive sizing needs of the pool: its bounds, the load it saw, and a way to resize. */
export type ResizerHost = {
  readonly state: number;
  readonly min: number;
  readonly max: number;
  /** Most resources borrowed at once since the last tick. */
  readonly peakBorrowed: number;
  /** Whether an acquire had to wait since the last tick. */
  readonly sawWait: boolean;
  /** Starts the next interval's load marks from the current load. */
  resetLoadMarks(): void;
  setMax(max: number, reason: PoolResizeReason, announce: boolean): void;
};

/**
 * Adaptive sizing: every `intervalMs`, grows `max` by `step` (up to `ceiling`) after
 * `growAfter` hot intervals (acquires waited and utilisation reached `highWatermark`), and
 * shrinks it (down to `floor`) after `shrinkAfter` cold ones (no wait, utilisation at most
 * `lowWatermark`).
 */
export class AdaptiveResizer {
  /** Resizes made so far. */
  adaptiveResizes = 0;
  readonly #host: ResizerHost;
  readonly #a: ResolvedAdaptive;
  readonly #timer: NodeJS.Timeout;
  #hotRun = 0;
  #coldRun = 0;

  /** Starts the tick's timer (unref'd). */
  constructor(host: ResizerHost, adaptive: ResolvedAdaptive) {
    this.#host = host;
    this.#a = adaptive;
    this.#timer = setInterval(this.#onTick, adaptive.intervalMs);
    this.#timer.unref();
  }

  /** Stops adaptive sizing for good. */
  stop(): void {
    clearInterval(this.#timer);
  }

  readonly #onTick = (): void => {
    const a = this.#a;
    const host = this.#host;
    if (host.state !== OPEN) return;
    const utilisation = host.peakBorrowed / host.max;
    const hot = host.sawWait && utilisation >= a.highWatermark;
    const cold = !host.sawWait && utilisation <= a.lowWatermark;
    host.resetLoadMarks();
    if (hot) {
      this.#coldRun = 0;
      if (++this.#hotRun >= a.growAfter && host.max < a.ceiling) {
        this.#hotRun = 0;
        this.adaptiveResizes++;
        host.setMax(Math.min(a.ceiling, host.max + a.step), 'grow', true);
      }
    } else if (cold) {
      this.#hotRun = 0;
      if (++this.#coldRun >= a.shrinkAfter && host.max > a.floor) {
        this.#coldRun = 0;
        this.adaptiveResizes++;
        host.setMax(Math.max(a.floor, host.min, host.max - a.step), 'shrink', true);
      }
    } else {
      this.#hotRun = 0;
      this.#coldRun = 0;
    }
  };
}
