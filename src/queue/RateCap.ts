// A PriorityTaskQueue's rate cap (internal): at most `limit` task starts per fixed window of
// `intervalMs`. When the window is used up, one timer reopens the dispatch at the next window.
import type { Clock } from '../core/Clock.js';

export class RateCap {
  readonly #limit: number;
  readonly #intervalMs: number;
  readonly #clock: Clock;
  /** Called when a new window opens after a refusal: the dispatcher starts what it can. */
  readonly #onOpen: () => void;
  #windowEnd = 0;
  #windowStarts = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(limit: number, intervalMs: number, clock: Clock, onOpen: () => void) {
    this.#limit = limit;
    this.#intervalMs = intervalMs;
    this.#clock = clock;
    this.#onOpen = onOpen;
  }

  /** Takes one start from the current window; `false` (and a timer for the next one) when none is left. */
  allows(): boolean {
    const now = this.#clock.now();
    if (now >= this.#windowEnd) {
      this.#windowEnd = now + this.#intervalMs;
      this.#windowStarts = 0;
    }
    if (this.#windowStarts < this.#limit) {
      this.#windowStarts++;
      return true;
    }
    if (this.#timer === undefined) this.#timer = setTimeout(this.#reopen, Math.max(1, this.#windowEnd - now));
    return false;
  }

  /** Cancels the pending timer (the queue is destroyed). */
  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  readonly #reopen = (): void => {
    this.#timer = undefined;
    this.#onOpen();
  };
}
