// A machine's rate limits in one process: the primary's RateLimitService and a RateLimitClient
// per simulated worker, joined by FIFO channels that deliver one message per event-loop turn, as
// IPC does (a reply sent before a recall arrives before it).
import { afterEach, beforeEach, vi } from 'vitest';
import { PROTOCOL_VERSION } from '../../src/cluster/protocol.js';
import type { PrimaryLink } from '../../src/cluster/state/PrimaryLink.js';
import { RateLimitClient } from '../../src/cluster/state/RateLimitClient.js';
import { RateLimitService } from '../../src/cluster/state/RateLimitService.js';
import type { GcraRule } from '../../src/resilience/index.js';

/** A GCRA limit of 4 at once, one more each second (the bucket empties in 4 s). */
export const GCRA_4: GcraRule = Object.freeze({
  algorithm: 'gcra',
  keyPrefix: 'g:',
  emissionIntervalMs: 1_000,
  burst: 4,
  toleranceMs: 4_000,
  epsilonMs: 1e-4,
});

/**
 * Fakes the clock and the timers (the recall timeout, the sweep) around each test of the calling
 * suite; `setImmediate` stays real, as the simulated channels deliver on it.
 */
export function useShareTimers(): void {
  beforeEach(() => {
    vi.useFakeTimers({
      toFake: ['performance', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'],
    });
  });
  afterEach(() => {
    vi.useRealTimers();
  });
}

/** One direction of one IPC channel: deliveries in order, one per `setImmediate`. */
class Channel {
  readonly #queue: (() => void)[] = [];
  /** Set to drop everything (a dead process). */
  closed = false;

  push(deliver: () => void): void {
    if (this.closed) return;
    this.#queue.push(deliver);
    if (this.#queue.length === 1) setImmediate(this.#drain);
  }

  readonly #drain = (): void => {
    const deliver = this.#queue.shift();
    if (!this.closed) deliver?.();
    if (this.#queue.length > 0) setImmediate(this.#drain);
  };
}

/** A simulated worker: its client, and the channels to and from the primary. */
export type SimWorker = {
  readonly pid: number;
  readonly client: RateLimitClient;
  /** Recalls and splits this worker received, in order. */
  readonly received: { type: string; items: unknown[] }[];
  /** Stops the worker: nothing more goes either way, and the primary is told it exited. */
  kill(): void;
};

/** A primary with `workers` simulated workers, `shares` shares per rule. */
export function sharesMachine(workers: number, shares = workers) {
  const toWorker = new Map<number, Channel>();
  const simulated = new Map<number, SimWorker>();
  const service = new RateLimitService(shares, (owner, type, items) => {
    const worker = simulated.get(owner);
    toWorker.get(owner)?.push(() => {
      worker?.received.push({ type, items: [...items] });
      worker?.client.receive({ loadstone: PROTOCOL_VERSION, type, items });
    });
  });
  const list: SimWorker[] = [];
  for (let i = 0; i < workers; i++) {
    const pid = 10_000 + i;
    const down = new Channel();
    const up = new Channel();
    toWorker.set(pid, down);
    const link: PrimaryLink = {
      call: (op, args) =>
        new Promise((resolve, reject) => {
          up.push(() => {
            let value: unknown;
            try {
              value = service.call(pid, op, args);
            } catch (error) {
              down.push(() => reject(error));
              return;
            }
            if (value instanceof Promise) {
              value.then(
                (settled) => down.push(() => resolve(settled)),
                (error) => down.push(() => reject(error)),
              );
            } else down.push(() => resolve(value));
          });
        }),
    };
    const worker: SimWorker = {
      pid,
      client: new RateLimitClient(link, false),
      received: [],
      kill: () => {
        up.closed = true;
        down.closed = true;
        service.ownerGone(pid);
      },
    };
    simulated.set(pid, worker);
    list.push(worker);
  }
  return { service, workers: list };
}
