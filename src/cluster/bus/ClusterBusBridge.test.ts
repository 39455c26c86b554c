import type { Worker } from 'node:cluster';
import { describe, expect, it } from 'vitest';
import { expectInvalidOption } from '../../../test/helpers/expectInvalidOption.js';
import { InProcessBus } from '../../core/InProcessBus.js';
import type { JsonValue } from '../../core/index.js';
import type { LoadstoneMessage } from '../protocol.js';
import { ClusterBus } from './ClusterBus.js';
import { ClusterBusBridge } from './ClusterBusBridge.js';
import { ClusterBusRelay } from './ClusterBusRelay.js';

type FakeWorker = Worker & { sent: { channel: string; message: JsonValue }[] };

function fakeWorker(): FakeWorker {
  const sent: { channel: string; message: JsonValue }[] = [];
  return {
    sent,
    isConnected: () => true,
    send: (
      envelope: { channel: string; message: JsonValue },
      _handle: unknown,
      callback?: (e: null) => void,
    ) => {
      sent.push({ channel: envelope.channel, message: envelope.message });
      callback?.(null);
      return true;
    },
  } as unknown as FakeWorker;
}

const publish = (channel: string, message: JsonValue): LoadstoneMessage =>
  ({ loadstone: 1, type: 'bus:publish', channel, message }) as LoadstoneMessage;

/** A machine: a relay with two workers, and a bus in its primary. */
function machine(remote: InProcessBus, channel?: string) {
  const workers = [fakeWorker(), fakeWorker()];
  const relay = new ClusterBusRelay({ workers: () => workers });
  const bridge = new ClusterBusBridge({ relay, remote, ...(channel === undefined ? {} : { channel }) });
  const primary = new ClusterBus({ relay });
  const heard: JsonValue[] = [];
  primary.subscribe('chat', (m) => heard.push(m));
  return { workers, relay, bridge, primary, heard };
}

/** Counts what crosses between machines. */
function countingRemote(): InProcessBus & { crossed: number } {
  const remote = new InProcessBus() as InProcessBus & { crossed: number };
  remote.crossed = 0;
  const publishOn = remote.publish.bind(remote);
  remote.publish = (channel, message) => {
    remote.crossed++;
    return publishOn(channel, message);
  };
  return remote;
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 10));

describe('ClusterBusBridge', () => {
  it('example: one pub/sub pair per machine', async () => {
    const remote = new InProcessBus(); // a RedisBus shared by every machine, in production
    const relay = new ClusterBusRelay({ workers: () => [] });
    // #region bridge
    // In the primary, usually through the supervisor: supervisor.bridgeBus(new RedisBus({ client }))
    const bridge = new ClusterBusBridge({ relay, remote });
    // Workers keep publishing and subscribing on `new ClusterBus()`: every machine hears them.
    // #endregion bridge
    expect(bridge.stats()).toEqual({ forwarded: 0, received: 0, failed: 0, dropped: 0 });
    await bridge.close();
  });

  it('carries a worker’s message to every process of the other machines once, and never back', async () => {
    const remote = countingRemote();
    const [a, b, c] = [machine(remote), machine(remote), machine(remote)];
    a.relay.receive(a.workers[0] as Worker, publish('chat', 'hi from a/w0'));
    await settle();
    // Machine a: its other worker and its primary got it over IPC, once; the sender did not.
    expect(a.workers[0]?.sent).toEqual([]);
    expect(a.workers[1]?.sent).toEqual([{ channel: 'chat', message: 'hi from a/w0' }]);
    expect(a.heard).toEqual(['hi from a/w0']);
    // Machines b and c: every worker and primary, once.
    for (const m of [b, c]) {
      for (const w of m.workers) expect(w.sent).toEqual([{ channel: 'chat', message: 'hi from a/w0' }]);
      expect(m.heard).toEqual(['hi from a/w0']);
    }
    expect(remote.crossed).toBe(1); // one publish between machines, no echo sent back
    expect(a.bridge.stats()).toMatchObject({ forwarded: 1, received: 0 });
    expect(b.bridge.stats()).toMatchObject({ forwarded: 0, received: 1 });
  });

  it('carries the primary’s own messages and the lifecycle notices, in order', async () => {
    const remote = countingRemote();
    const [a, b] = [machine(remote), machine(remote)];
    for (let i = 0; i < 5; i++) await a.primary.publish('chat', i);
    await settle();
    expect(b.heard).toEqual([0, 1, 2, 3, 4]);
    expect(b.workers[0]?.sent.map((s) => s.message)).toEqual([0, 1, 2, 3, 4]);
    expect(a.heard).toEqual([0, 1, 2, 3, 4]);
    expect(remote.crossed).toBe(5);
  });

  it('keeps groups on different channels apart', async () => {
    const remote = countingRemote();
    const [a, b] = [machine(remote, 'group-1'), machine(remote, 'group-2')];
    a.relay.receive(a.workers[0] as Worker, publish('chat', 'x'));
    await settle();
    expect(b.heard).toEqual([]);
  });

  it('drops malformed messages on the bridge channel and counts them', async () => {
    const remote = new InProcessBus();
    const a = machine(remote);
    for (const bad of [
      'text',
      null,
      [1],
      { o: 'x', c: 'chat' },
      { o: 1, c: 'chat', m: 1 },
      { o: 'x', c: '', m: 1 },
      { o: 'x', c: 'c'.repeat(1_025), m: 1 },
    ] as JsonValue[]) {
      await remote.publish('loadstone:bridge', bad);
    }
    await remote.publish('loadstone:bridge', { o: 'x', c: '__proto__', m: { ok: true } });
    await remote.publish('loadstone:bridge', { o: 'x', c: 'c'.repeat(1_024), m: 'longest channel' });
    await settle();
    expect(a.bridge.stats()).toMatchObject({ dropped: 7, received: 2 });
    expect(a.workers[0]?.sent).toEqual([
      { channel: '__proto__', message: { ok: true } },
      { channel: 'c'.repeat(1_024), message: 'longest channel' },
    ]);
  });

  it('counts a message the remote refused, which reached this machine only', async () => {
    const remote = new InProcessBus();
    const a = machine(remote);
    remote.publish = () => Promise.reject(new Error('redis down'));
    a.relay.receive(a.workers[0] as Worker, publish('chat', 'local only'));
    await settle();
    expect(a.heard).toEqual(['local only']);
    expect(a.bridge.stats()).toMatchObject({ forwarded: 0, failed: 1 });
  });

  it('stops bridging on close and closes the remote bus', async () => {
    const remote = countingRemote();
    const [a, b] = [machine(remote), machine(remote)];
    await a.bridge.close();
    expect(a.bridge.closed).toBe(true);
    expect(remote.closed).toBe(true);
    a.relay.receive(a.workers[0] as Worker, publish('chat', 'after close'));
    await settle();
    expect(remote.crossed).toBe(0);
    expect(b.heard).toEqual([]);
    await a.bridge.close(); // idempotent
  });

  it('refuses bad options', () => {
    const relay = new ClusterBusRelay({ workers: () => [] });
    const remote = new InProcessBus();
    expectInvalidOption(
      () => new ClusterBusBridge({ relay: {} as ClusterBusRelay, remote }),
      'options.relay',
      'a ClusterBusRelay',
    );
    expectInvalidOption(
      () => new ClusterBusBridge({ relay, remote: {} as InProcessBus }),
      'options.remote',
      'a Bus',
    );
    expectInvalidOption(
      () => new ClusterBusBridge({ relay, remote, channel: '' }),
      'options.channel',
      'a non-empty',
    );
    expect(() => new ClusterBusBridge({ relay, remote, other: 1 } as never)).toThrow(
      /other.*ClusterBusBridge|ClusterBusBridge.*other/,
    );
  });
});
