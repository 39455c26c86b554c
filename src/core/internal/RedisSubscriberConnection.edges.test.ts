// RedisSubscriberConnection at its edges: what it does after close, what it sends while the
// connection is down, confirmations that arrive after a drop or an unsubscribe, refusals, the
// texts of its time-outs, and a borrowed connection's close and destroy.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FakeConnection, flush, never, open } from '../../../test/helpers/fakeSubscriberConnection.js';
import { TimeoutError } from '../errors/TimeoutError.js';

afterEach(() => {
  vi.useRealTimers();
});

/** Makes the connection's next SUBSCRIBE wait until `confirm` or `refuse` is called. */
function holdNextSubscribe(connection: FakeConnection) {
  const held = { confirm: () => {}, refuse: (_error: Error) => {} };
  vi.spyOn(connection, 'subscribe').mockImplementationOnce(
    () =>
      new Promise((resolve, reject) => {
        held.confirm = () => resolve(1);
        held.refuse = reject;
      }),
  );
  return held;
}

/** A ready connection, its subscription, and a first SUBSCRIBE `'a'` held on its way. */
function subscribeHeld() {
  const connection = new FakeConnection();
  connection.status = 'ready';
  const subscription = open(connection);
  const held = holdNextSubscribe(connection);
  const first = subscription.subscribe('a');
  return { connection, subscription, held, first };
}

describe('RedisSubscriberConnection at its edges', () => {
  it('answers false and sends nothing once closed', async () => {
    const connection = new FakeConnection();
    connection.status = 'ready';
    const subscription = open(connection);
    await subscription.close(1_000);
    await expect(subscription.subscribe('a')).resolves.toBe(false);
    await subscription.unsubscribe('a');
    expect(connection.sent).toEqual([]);
    await subscription.close(1_000);
    expect(connection.quit).toHaveBeenCalledTimes(1);
  });

  it('connects only a lazyConnect connection, and sends at once to one that cannot be told to connect', async () => {
    const connecting = new FakeConnection();
    const waiting = open(connecting).subscribe('a');
    expect(connecting.connect).not.toHaveBeenCalled();
    connecting.becomeReady();
    await waiting;

    const lazy = new FakeConnection();
    lazy.status = 'wait';
    Object.assign(lazy, { connect: undefined });
    // ioredis connects on the first command; this stand-in refuses it, as a fail-fast client would.
    await expect(open(lazy).subscribe('a')).rejects.toThrow("Stream isn't writeable");
  });

  it('sends no UNSUBSCRIBE while the connection is down', async () => {
    const connection = new FakeConnection();
    connection.status = 'ready';
    const subscription = open(connection);
    await subscription.subscribe('a');
    connection.drop();
    await subscription.unsubscribe('a');
    expect(connection.sent).toEqual(['SUBSCRIBE a']);
  });

  it('names the command and the channels in its time-outs', async () => {
    vi.useFakeTimers();
    const down = new FakeConnection();
    const waiting = expect(open(down, { confirmTimeoutMs: 50 }).subscribe('news')).rejects.toMatchObject({
      message: 'SUBSCRIBE news on Redis timed out after 50 ms',
    });
    await vi.advanceTimersByTimeAsync(50);
    await waiting;

    const hung = new FakeConnection();
    hung.status = 'ready';
    const subscription = open(hung, { confirmTimeoutMs: 50 });
    await subscription.subscribe('news');
    hung.hang = true;
    const leaving = expect(subscription.unsubscribe('news')).rejects.toMatchObject({
      message: 'UNSUBSCRIBE news on Redis timed out after 50 ms',
    });
    await vi.advanceTimersByTimeAsync(50);
    await leaving;

    // Channels subscribed again on reconnection go in one wait, named together.
    const onError = vi.fn();
    const again = new FakeConnection();
    again.status = 'ready';
    const both = open(again, { confirmTimeoutMs: 50, onError });
    await Promise.all([both.subscribe('a'), both.subscribe('b')]);
    again.drop();
    again.hang = true;
    again.becomeReady();
    await vi.advanceTimersByTimeAsync(50);
    expect(onError).toHaveBeenCalledTimes(1);
    const error = onError.mock.calls[0]?.[0] as TimeoutError;
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error.message).toBe('SUBSCRIBE a b on Redis timed out after 50 ms');
  });

  it('does not count a confirmation that arrives after a drop, or for a channel no longer wanted', async () => {
    const { connection, subscription, held, first } = subscribeHeld();
    connection.drop();
    held.confirm();
    await expect(first).resolves.toBe(false);
    expect(subscription.isListening('a')).toBe(false);

    connection.becomeReady();
    await flush();
    const late = holdNextSubscribe(connection);
    const second = subscription.subscribe('b');
    await subscription.unsubscribe('b');
    late.confirm();
    await expect(second).resolves.toBe(true);
    expect(subscription.isListening('b')).toBe(false);
  });

  it('answers false for a refusal caused by a drop, and passes on a refusal on a live connection', async () => {
    const { connection, subscription, held, first } = subscribeHeld();
    connection.drop();
    held.refuse(new Error('Connection is closed.'));
    await expect(first).resolves.toBe(false);

    connection.becomeReady();
    await flush();
    const refused = holdNextSubscribe(connection);
    const second = subscription.subscribe('b');
    const noperm = new Error('NOPERM');
    refused.refuse(noperm);
    await expect(second).rejects.toBe(noperm);
  });

  it('answers false to a subscribe waiting for a reconnection whose resubscription Redis refuses', async () => {
    const connection = new FakeConnection();
    const onError = vi.fn();
    const subscription = open(connection, { onError });
    const waiting = subscription.subscribe('a');
    const refusal = new Error('NOPERM');
    vi.spyOn(connection, 'subscribe').mockRejectedValueOnce(refusal);
    connection.becomeReady();
    await expect(waiting).resolves.toBe(false);
    expect(onError).toHaveBeenCalledWith(refusal);
  });

  it('waits for a borrowed connection to confirm its unsubscribes on close, within timeoutMs', async () => {
    const connection = new FakeConnection();
    connection.status = 'ready';
    const subscription = open(connection, { owned: false });
    await subscription.subscribe('a');
    let confirm: (value: unknown) => void = () => {};
    vi.spyOn(connection, 'unsubscribe').mockImplementationOnce(
      () =>
        new Promise((resolve) => {
          confirm = resolve;
        }),
    );
    let closed = false;
    const closing = subscription.close(1_000).then(() => {
      closed = true;
    });
    await flush();
    expect(closed).toBe(false);
    confirm(1);
    await closing;

    vi.useFakeTimers();
    const hung = new FakeConnection();
    hung.status = 'ready';
    const stuck = open(hung, { owned: false });
    await stuck.subscribe('a');
    vi.spyOn(hung, 'unsubscribe').mockImplementationOnce(never);
    let done = false;
    const bounded = stuck.close(200).then(() => {
      done = true;
    });
    await vi.advanceTimersByTimeAsync(199);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await bounded;
  });

  it('stops passing on messages when destroyed, and leaves a borrowed connection connected', async () => {
    const connection = new FakeConnection();
    connection.status = 'ready';
    const onMessage = vi.fn();
    const subscription = open(connection, { owned: false, onMessage });
    await subscription.subscribe('a');
    subscription.destroy();
    connection.emit('message', 'a', 'late');
    expect(onMessage).not.toHaveBeenCalled();
    expect(connection.disconnect).not.toHaveBeenCalled();
    subscription.destroy();
  });

  it('ignores a ready event after close on a connection it cannot stop listening to', async () => {
    const connection = new FakeConnection();
    Object.assign(connection, { removeListener: undefined });
    const subscription = open(connection);
    subscription.subscribe('a').catch(() => {});
    await subscription.close(1_000);
    connection.becomeReady();
    connection.emit('message', 'a', 'late');
    await flush();
    expect(connection.sent).toEqual([]);
  });
});
