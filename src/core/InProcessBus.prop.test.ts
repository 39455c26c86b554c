import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InProcessBus } from './InProcessBus.js';
import type { JsonValue } from './Json.js';

describe('InProcessBus (properties)', () => {
  it('delivers every message to every subscriber of its channel, in publish order, as a JSON copy', async () => {
    const channel = fc.constantFrom('a', 'b', 'c');
    await fc.assert(
      fc.asyncProperty(
        fc.array(channel, { maxLength: 6 }),
        fc.array(fc.tuple(channel, fc.jsonValue({ maxDepth: 3 })), { maxLength: 30 }),
        async (subscribed, published) => {
          const bus = new InProcessBus();
          const inboxes = subscribed.map((name) => {
            const received: JsonValue[] = [];
            bus.subscribe(name, (message) => received.push(message));
            return { name, received };
          });
          for (const [name, message] of published) await bus.publish(name, message as JsonValue);
          await bus.close(); // resolves once every accepted message is delivered
          for (const { name, received } of inboxes) {
            const expected = published
              .filter(([c]) => c === name)
              .map(([, message]) => JSON.parse(JSON.stringify(message)) as JsonValue);
            expect(received).toEqual(expected);
          }
        },
      ),
      { numRuns: 100, interruptAfterTimeLimit: 15_000, markInterruptAsFailure: true },
    );
  });
});
