// A process's own door to a shared bus, which a test can close to simulate a partition or a
// crashed machine: while `cut`, nothing it publishes goes out and nothing published reaches it.
import type { Bus, BusHandler } from '../../src/core/Bus.js';
import type { JsonValue } from '../../src/core/Json.js';

/** Lets a bus deliver what was published (buses deliver asynchronously). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** A bus in front of `inner` that passes nothing either way while `cut` is set. Closing it closes nothing. */
export function partitionBus(inner: Bus): Bus & { cut: boolean } {
  const bus = {
    cut: false,
    publish: (channel: string, message: JsonValue) =>
      bus.cut ? Promise.resolve() : inner.publish(channel, message),
    subscribe: (channel: string, handler: BusHandler) =>
      inner.subscribe(channel, (message, ch) => {
        if (!bus.cut) handler(message, ch);
      }),
    close: () => Promise.resolve(),
    destroy: () => Promise.resolve(),
    closed: false,
    [Symbol.asyncDispose]: () => Promise.resolve(),
  };
  return bus as Bus & { cut: boolean };
}
