// The callers of a PriorityTaskQueue's `onEmpty`, `onIdle` and `onSizeLessThan` (internal), and
// the `queue:emptied` / `queue:idled` events that go with them.
import { StateWaiters } from './StateWaiters.js';

/** The queue's counts, read live: a listener may add a task while the waiters are notified. */
export interface QueueCounts {
  readonly size: number;
  readonly running: number;
}

/** Where the `queue:emptied` and `queue:idled` events are emitted (the queue itself). */
export interface QueueEventsTarget {
  emit(event: 'queue:emptied' | 'queue:idled'): boolean;
}

export class QueueWaiters {
  /** `onEmpty` callers. */
  readonly empty = new StateWaiters();
  /** `onIdle` callers. */
  readonly idle = new StateWaiters();
  /** `onSizeLessThan` callers. */
  readonly sizeBelow = new StateWaiters();
  #emptyNotified = true;
  #idleNotified = true;
  readonly #events: QueueEventsTarget;
  /** Called each time the queue is found idle, after its waiters and event (a close may end). */
  readonly #onIdle: () => void;

  constructor(events: QueueEventsTarget, onIdle: () => void) {
    this.#events = events;
    this.#onIdle = onIdle;
  }

  /** A task was queued: the next time the queue empties and idles is announced again. */
  queued(): void {
    this.#emptyNotified = false;
    this.#idleNotified = false;
  }

  /** Resolves the waiters the queue's state satisfies and emits the events it has reached. */
  notify(counts: QueueCounts): void {
    this.sizeBelow.resolveBelow(counts.size);
    if (counts.size !== 0) return;
    this.empty.resolveAll();
    if (!this.#emptyNotified) {
      this.#emptyNotified = true;
      this.#events.emit('queue:emptied');
    }
    if (counts.running === 0) {
      this.idle.resolveAll();
      if (!this.#idleNotified) {
        this.#idleNotified = true;
        this.#events.emit('queue:idled');
      }
      this.#onIdle();
    }
  }
}
