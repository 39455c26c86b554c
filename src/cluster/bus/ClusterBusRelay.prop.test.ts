import type { Worker } from 'node:cluster';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { LoadstoneMessage } from '../protocol.js';
import { ClusterBusRelay } from './ClusterBusRelay.js';

function recorder(): Worker & { sent: { message: unknown }[] } {
  const sent: { message: unknown }[] = [];
  return {
    sent,
    isConnected: () => true,
    send: (message: { message: unknown }, _handle: unknown, callback?: (error: Error | null) => void) => {
      sent.push(message);
      callback?.(null);
      return true;
    },
  } as unknown as Worker & { sent: { message: unknown }[] };
}

const limits = { numRuns: 300 };

describe('ClusterBusRelay (properties)', () => {
  it('relays every JSON value unchanged', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 50 }), fc.jsonValue(), (channel, message) => {
        const target = recorder();
        const relay = new ClusterBusRelay({ workers: () => [target] });
        const envelope = { loadstone: 1, type: 'bus:publish', channel, message } as LoadstoneMessage;
        expect(relay.receive(recorder(), envelope)).toBe(true);
        // JSON.stringify turns -0 into 0: compare as JSON would carry it.
        expect(JSON.stringify(target.sent[0]?.message)).toBe(JSON.stringify(message));
      }),
      limits,
    );
  });

  it('never throws, and forwards nothing it refuses, whatever arrives', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.anything({
            withBigInt: true,
            withMap: true,
            withSet: true,
            withDate: true,
            withTypedArray: true,
          }),
          fc.record({
            loadstone: fc.constantFrom(1, 2, '1'),
            type: fc.constantFrom('bus:publish', 'bus:deliver', 'bus:x'),
            channel: fc.anything(),
            message: fc.anything({ withBigInt: true, withMap: true, withDate: true }),
          }),
        ),
        (value) => {
          const target = recorder();
          const relay = new ClusterBusRelay({ workers: () => [target], maxMessageBytes: 4096 });
          const relayed = relay.receive(recorder(), value as LoadstoneMessage);
          expect(target.sent.length).toBe(relayed ? 1 : 0);
          expect(relay.stats().dropped).toBe(relayed ? 0 : 1);
        },
      ),
      limits,
    );
  });
});
