import type { Worker } from 'node:cluster';
import { describe, expect, it, vi } from 'vitest';
import { expectInvalidOption } from '../../../test/helpers/expectInvalidOption.js';
import type { JsonValue } from '../../core/index.js';
import type { LoadstoneMessage } from '../protocol.js';
import { ClusterBus } from './ClusterBus.js';
import { ClusterBusRelay } from './ClusterBusRelay.js';

function fakeWorker(options: { connected?: boolean; failSend?: boolean } = {}): Worker & { sent: unknown[] } {
  const sent: unknown[] = [];
  return {
    sent,
    isConnected: () => options.connected ?? true,
    send: (message: unknown, _handle: unknown, callback?: (error: Error | null) => void) => {
      if (options.failSend === true) {
        queueMicrotask(() => callback?.(new Error('channel closed')));
        return false;
      }
      sent.push(message);
      callback?.(null);
      return true;
    },
  } as unknown as Worker & { sent: unknown[] };
}

const publish = (channel: unknown, message: unknown): LoadstoneMessage =>
  ({ loadstone: 1, type: 'bus:publish', channel, message }) as LoadstoneMessage;

describe('ClusterBusRelay', () => {
  it('example: feeding a relay from a hand-written primary', () => {
    const cluster = { on: (_event: string, _fn: (...args: never[]) => void) => {} };
    const isLoadstoneMessage = (m: unknown): m is LoadstoneMessage =>
      typeof m === 'object' && m !== null && (m as { loadstone?: unknown }).loadstone === 1;
    // #region relay
    const relay = new ClusterBusRelay({ workers: () => Object.values({} /* cluster.workers ?? {} */) });
    cluster.on('message', (worker: Worker, message: unknown) => {
      if (isLoadstoneMessage(message) && message.type.startsWith('bus:')) {
        relay.receive(worker, message); // false (and counted in relay.stats()) when malformed
      }
    });
    // #endregion relay
    expect(relay.stats().dropped).toBe(0);
  });

  it('fans a worker’s message out to the other connected workers and the primary buses', async () => {
    const [a, b, c, gone] = [fakeWorker(), fakeWorker(), fakeWorker(), fakeWorker({ connected: false })];
    const relay = new ClusterBusRelay({ workers: () => [a, b, c, gone] });
    const bus = new ClusterBus({ relay });
    const got: JsonValue[] = [];
    bus.subscribe('presence', (m) => got.push(m));
    expect(relay.receive(a, publish('presence', { user: 1, online: true }))).toBe(true);
    const deliver = {
      loadstone: 1,
      type: 'bus:deliver',
      channel: 'presence',
      message: { user: 1, online: true },
    };
    expect(a.sent).toEqual([]);
    expect(b.sent).toEqual([deliver]);
    expect(c.sent).toEqual([deliver]);
    expect(gone.sent).toEqual([]);
    await vi.waitFor(() => expect(got).toEqual([{ user: 1, online: true }]));
    expect(relay.stats()).toMatchObject({ relayed: 1, sent: 2, dropped: 0 });
    await bus.close();
  });

  it('counts and drops malformed or unexpected messages, never throwing', () => {
    const a = fakeWorker();
    const b = fakeWorker();
    const relay = new ClusterBusRelay({ workers: () => [a, b], maxMessageBytes: 64 });
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const shared = { x: 1 };
    let diamond: unknown = shared;
    for (let i = 0; i < 40; i++) diamond = { l: diamond, r: diamond };
    const hostile = {
      loadstone: 1,
      type: 'bus:publish',
      channel: 'c',
      get message() {
        throw new Error('getter');
      },
    };
    const cases: [unknown, string][] = [
      [{ loadstone: 1, type: 'bus:deliver', channel: 'c', message: 1 }, 'type'],
      [{ loadstone: 1, type: 'bus:other', channel: 'c', message: 1 }, 'type'],
      [{ ...publish('c', 1), extra: true }, 'fields'],
      [publish('', 1), 'channel'],
      [publish(42, 1), 'channel'],
      [publish('c'.repeat(1025), 1), 'channel'],
      [{ loadstone: 1, type: 'bus:publish', channel: 'c' }, 'message'],
      [publish('c', Number.NaN), 'message'],
      [publish('c', new Map()), 'message'],
      [publish('c', 10n), 'message'],
      [publish('c', [1, undefined]), 'message'],
      [publish('c', cyclic), 'message'],
      [publish('c', 'x'.repeat(100)), 'size'],
      [publish('c', diamond), 'size'],
      [hostile, 'message'],
      [null, 'type'],
      ['bus:publish', 'type'],
    ];
    for (const [message, reason] of cases) {
      const before = relay.stats().droppedByReason;
      expect(relay.receive(a, message as LoadstoneMessage)).toBe(false);
      expect(relay.stats().droppedByReason[reason as 'type'] - before[reason as 'type']).toBe(1);
    }
    expect(relay.stats().dropped).toBe(cases.length);
    expect(b.sent).toEqual([]);
    expect(relay.receive(a, publish('c', { ok: [1, 'two', null, true] }))).toBe(true);
    expect(b.sent.length).toBe(1);
  });

  it('survives workers whose channel fails, and a workers() that throws', async () => {
    const broken = fakeWorker({ failSend: true });
    const fine = fakeWorker();
    const relay = new ClusterBusRelay({ workers: () => [broken, fine] });
    expect(relay.receive(fakeWorker(), publish('c', 1))).toBe(true);
    await vi.waitFor(() => expect(relay.stats().sendFailures).toBe(1));
    expect(relay.stats().sent).toBe(1);
    expect(fine.sent.length).toBe(1);
    const throwing = new ClusterBusRelay({
      workers: () => {
        throw new Error('boom');
      },
    });
    expect(throwing.receive(fine, publish('c', 1))).toBe(true);
  });

  it('validates its options', () => {
    expectInvalidOption(() => new ClusterBusRelay(undefined as never), 'options.workers', 'a function');
    expectInvalidOption(() => new ClusterBusRelay({ workers: [] as never }), 'options.workers', 'a function');
    expectInvalidOption(
      () => new ClusterBusRelay({ workers: () => [], maxMessageBytes: 1.5 }),
      'options.maxMessageBytes',
      'an integer >= 1',
    );
  });
});
