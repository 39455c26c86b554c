import type { Worker } from 'node:cluster';
import { describe, expect, it, vi } from 'vitest';
import { expectInvalidOption } from '../../../test/helpers/expectInvalidOption.js';
import { isLoadstoneError, type JsonValue } from '../../core/index.js';
import { describeBusContract } from '../../testing/index.js';
import { ClusterBus } from './ClusterBus.js';
import { ClusterBusRelay } from './ClusterBusRelay.js';

/** A stand-in for a cluster Worker that records what the primary sends it. */
function fakeWorker(connected = true): Worker & { sent: unknown[] } {
  const sent: unknown[] = [];
  return {
    sent,
    isConnected: () => connected,
    send: (message: unknown, _handle: unknown, callback?: (error: Error | null) => void) => {
      sent.push(message);
      callback?.(null);
      return true;
    },
  } as unknown as Worker & { sent: unknown[] };
}

// The vitest process is a cluster primary, so the contract runs against the primary side; the
// worker side is covered by test/integration/cluster-bus.test.ts with real processes.
describeBusContract(
  'ClusterBus in the primary',
  ({ onHandlerError }) =>
    new ClusterBus({ relay: new ClusterBusRelay({ workers: () => [] }), onHandlerError }),
  { describe, it, expect },
);

describe('ClusterBus', () => {
  it('example: a primary-side bus', async () => {
    const workerA = fakeWorker();
    // #region clusterBus
    // In every worker:            const bus = new ClusterBus();
    // In a hand-written primary (the supervisor makes its own relay and bus):
    const relay = new ClusterBusRelay({
      workers: () => [workerA] /* Object.values(cluster.workers ?? {}) */,
    });
    const bus = new ClusterBus({ relay });
    const received: JsonValue[] = [];
    bus.subscribe('cache:invalidate', (message) => received.push(message));
    await bus.publish('cache:invalidate', { key: 'user:42' });
    // → delivered to this process's subscribers and sent to every worker.
    // #endregion clusterBus
    await vi.waitFor(() => expect(received).toEqual([{ key: 'user:42' }]));
    expect(workerA.sent).toEqual([
      { loadstone: 1, type: 'bus:deliver', channel: 'cache:invalidate', message: { key: 'user:42' } },
    ]);
    await bus.close();
  });

  it('requires a relay in the primary and validates its options', () => {
    const relay = new ClusterBusRelay({ workers: () => [] });
    expectInvalidOption(() => new ClusterBus(), 'options.relay', 'a ClusterBusRelay');
    expectInvalidOption(
      () => new ClusterBus({ relay: {} as ClusterBusRelay }),
      'options.relay',
      'a ClusterBusRelay',
    );
    expectInvalidOption(
      () => new ClusterBus({ relay, maxMessageBytes: 0 }),
      'options.maxMessageBytes',
      'an integer >= 1',
    );
    expectInvalidOption(
      () => new ClusterBus({ relay, onHandlerError: 1 as never }),
      'options.onHandlerError',
      'a function',
    );
    expectInvalidOption(() => new ClusterBus(1 as never), 'options', 'an object');
  });

  it('rejects an oversize message and an overlong channel before sending anything', async () => {
    const worker = fakeWorker();
    const bus = new ClusterBus({
      relay: new ClusterBusRelay({ workers: () => [worker] }),
      maxMessageBytes: 10,
    });
    const big = await bus.publish('c', 'x'.repeat(20)).catch((error: unknown) => error);
    expect(isLoadstoneError(big, 'ERR_LOADSTONE_INVALID_OPTION')).toBe(true);
    const long = await bus.publish('c'.repeat(1025), 1).catch((error: unknown) => error);
    expect(isLoadstoneError(long, 'ERR_LOADSTONE_INVALID_OPTION')).toBe(true);
    expect(() => bus.subscribe('c'.repeat(1025), () => {})).toThrow(/at most 1024 characters/);
    await bus.publish('c', 'ok');
    expect(worker.sent.length).toBe(1);
    await bus.destroy();
  });

  it('names the offending path in a non-JSON message', async () => {
    const bus = new ClusterBus({ relay: new ClusterBusRelay({ workers: () => [] }) });
    const error = await bus
      .publish('c', { items: [{ name: 'a' }, { when: new Date(0) }] } as never)
      .catch((e: unknown) => e);
    expect((error as { option: string }).option).toBe('message.items[1].when');
    await bus.destroy();
  });

  it('delivers to every primary bus of the relay, and stops after close', async () => {
    const relay = new ClusterBusRelay({ workers: () => [] });
    const a = new ClusterBus({ relay });
    const b = new ClusterBus({ relay });
    const got: JsonValue[] = [];
    b.subscribe('c', (m) => got.push(m));
    await a.publish('c', 1);
    await vi.waitFor(() => expect(got).toEqual([1]));
    await b.close();
    await a.publish('c', 2);
    expect(relay.stats().published).toBe(2);
    await a.close();
    expect(got).toEqual([1]);
  });
});
