import { afterEach, describe, expect, it, vi } from 'vitest';
import { FakeConnection, flush, never, open } from '../../../test/helpers/fakeSubscriberConnection.js';
import { TimeoutError } from '../errors/TimeoutError.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('RedisSubscriberConnection', () => {
  it('sends SUBSCRIBE only once the connection is ready (a fail-fast client refuses it before)', async () => {
    const connection = new FakeConnection();
    const subscription = open(connection);
    const confirmed = subscription.subscribe('a');
    expect(connection.sent).toEqual([]);
    connection.becomeReady();
    await expect(confirmed).resolves.toBe(true);
    expect(connection.sent).toEqual(['SUBSCRIBE a']);
    expect(subscription.isListening('a')).toBe(true);
  });

  it('subscribes at once on a ready connection, and on one without a status', async () => {
    const ready = new FakeConnection();
    ready.status = 'ready';
    await expect(open(ready).subscribe('a')).resolves.toBe(true);
    expect(ready.sent).toEqual(['SUBSCRIBE a']);
    const plain = new FakeConnection();
    plain.status = undefined;
    await expect(open(plain).subscribe('a')).resolves.toBe(true);
    expect(plain.sent).toEqual(['SUBSCRIBE a']);
  });

  it('connects a lazyConnect connection before subscribing', async () => {
    const connection = new FakeConnection();
    connection.status = 'wait';
    const confirmed = open(connection).subscribe('a');
    expect(connection.connect).toHaveBeenCalledTimes(1);
    connection.becomeReady();
    await expect(confirmed).resolves.toBe(true);
  });

  it('subscribes every wanted channel again when ready after a drop, and tells the owner once', async () => {
    const connection = new FakeConnection();
    const onDropped = vi.fn();
    const subscription = open(connection, { onDropped });
    const both = Promise.all([subscription.subscribe('a'), subscription.subscribe('b')]);
    connection.becomeReady();
    await both;
    connection.drop();
    connection.drop(new Error('ECONNREFUSED')); // failed attempts to reconnect
    connection.drop(new Error('ECONNREFUSED'));
    expect(onDropped).toHaveBeenCalledTimes(1);
    expect(subscription.isListening('a')).toBe(false);
    connection.becomeReady();
    await flush();
    expect(subscription.isListening('b')).toBe(true);
    expect(connection.sent).toEqual(['SUBSCRIBE a', 'SUBSCRIBE b', 'SUBSCRIBE a', 'SUBSCRIBE b']);
    expect(subscription.isListening('a')).toBe(true);
  });

  it('answers a subscribe made while down with false at the next failed attempt, then makes it when ready', async () => {
    const connection = new FakeConnection();
    const subscription = open(connection);
    const first = subscription.subscribe('a');
    connection.drop(new Error('ECONNREFUSED'));
    await expect(first).resolves.toBe(false);
    expect(subscription.isListening('a')).toBe(false);
    connection.becomeReady();
    await flush();
    expect(subscription.isListening('a')).toBe(true);
    expect(connection.sent).toEqual(['SUBSCRIBE a']);
  });

  it('reports the first error of each outage of an owned connection, not one per retry', () => {
    const connection = new FakeConnection();
    const onError = vi.fn();
    open(connection, { onError });
    for (let i = 0; i < 20; i++) connection.drop(new Error(`attempt ${i}`));
    expect(onError.mock.calls).toEqual([[new Error('attempt 0')]]);
    connection.becomeReady();
    connection.drop(new Error('second outage'));
    connection.drop(new Error('again'));
    expect(onError.mock.calls.map(([error]) => (error as Error).message)).toEqual([
      'attempt 0',
      'second outage',
    ]);
  });

  it('leaves the errors of a borrowed connection to its owner (no `error` listener)', () => {
    const connection = new FakeConnection();
    open(connection, { owned: false });
    expect(connection.listenerCount('error')).toBe(0);
    expect(connection.listenerCount('ready')).toBe(1);
    const owned = new FakeConnection();
    open(owned);
    expect(owned.listenerCount('error')).toBe(1);
  });

  it('reports a resubscription Redis refuses to onError', async () => {
    const connection = new FakeConnection();
    const onError = vi.fn();
    const subscription = open(connection, { onError });
    connection.status = 'ready';
    await subscription.subscribe('a');
    connection.drop();
    const refusal = new Error('NOPERM');
    vi.spyOn(connection, 'subscribe').mockRejectedValueOnce(refusal);
    connection.becomeReady();
    await flush();
    expect(onError).toHaveBeenCalledWith(refusal);
  });

  it('rejects with a TimeoutError when Redis does not confirm within confirmTimeoutMs', async () => {
    vi.useFakeTimers();
    const connection = new FakeConnection();
    connection.status = 'ready';
    connection.hang = true;
    const confirmed = open(connection, { confirmTimeoutMs: 500 }).subscribe('a');
    const outcome = expect(confirmed).rejects.toBeInstanceOf(TimeoutError);
    await vi.advanceTimersByTimeAsync(500);
    await outcome;
  });

  it('counts a confirmation that comes after the deadline', async () => {
    vi.useFakeTimers();
    const connection = new FakeConnection();
    connection.status = 'ready';
    let confirm: () => void = () => undefined;
    vi.spyOn(connection, 'subscribe').mockImplementationOnce(
      () =>
        new Promise((resolve) => {
          confirm = () => resolve(1);
        }),
    );
    const subscription = open(connection, { confirmTimeoutMs: 500 });
    const outcome = expect(subscription.subscribe('a')).rejects.toBeInstanceOf(TimeoutError);
    await vi.advanceTimersByTimeAsync(500);
    await outcome;
    expect(subscription.isListening('a')).toBe(false);
    confirm();
    vi.useRealTimers();
    await flush();
    expect(subscription.isListening('a')).toBe(true);
  });

  it('bounds the wait for a connection that never becomes ready', async () => {
    vi.useFakeTimers();
    const connection = new FakeConnection();
    const confirmed = open(connection, { confirmTimeoutMs: 500 }).subscribe('a');
    const outcome = expect(confirmed).rejects.toMatchObject({ code: 'ERR_LOADSTONE_TIMEOUT' });
    await vi.advanceTimersByTimeAsync(500);
    await outcome;
  });

  it('passes on the messages of wanted channels only, and none after close', async () => {
    const connection = new FakeConnection();
    connection.status = 'ready';
    const onMessage = vi.fn();
    const subscription = open(connection, { onMessage });
    await subscription.subscribe('a');
    connection.emit('message', 'a', 'one');
    connection.emit('message', 'other', 'two');
    await subscription.unsubscribe('a');
    connection.emit('message', 'a', 'three');
    expect(onMessage.mock.calls).toEqual([['a', 'one']]);
    expect(connection.sent).toEqual(['SUBSCRIBE a', 'UNSUBSCRIBE a']);
    await subscription.subscribe('b');
    await subscription.close(1_000);
    connection.emit('message', 'b', 'late');
    expect(onMessage).toHaveBeenCalledTimes(1);
  });

  it('quits an owned connection on close, disconnecting it when QUIT is refused or hangs', async () => {
    const quits = new FakeConnection();
    await open(quits).close(1_000);
    expect(quits.quit).toHaveBeenCalledTimes(1);
    expect(quits.disconnect).not.toHaveBeenCalled();

    const refuses = new FakeConnection();
    refuses.quit.mockRejectedValueOnce(new Error("Stream isn't writeable"));
    await open(refuses).close(1_000);
    expect(refuses.disconnect).toHaveBeenCalledTimes(1);

    vi.useFakeTimers();
    const hangs = new FakeConnection();
    hangs.quit.mockImplementationOnce(never);
    const closed = open(hangs).close(1_000);
    await vi.advanceTimersByTimeAsync(999);
    expect(hangs.disconnect).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    await closed;
    expect(hangs.disconnect).toHaveBeenCalledTimes(1);
  });

  it('disconnects at once for a close with no time to wait, and on destroy', async () => {
    const connection = new FakeConnection();
    await open(connection).close(0);
    expect(connection.quit).not.toHaveBeenCalled();
    expect(connection.disconnect).toHaveBeenCalledTimes(1);
    const destroyed = new FakeConnection();
    open(destroyed).destroy();
    expect(destroyed.disconnect).toHaveBeenCalledTimes(1);
  });

  it('unsubscribes from a borrowed connection on close and leaves it open and unlistened', async () => {
    const connection = new FakeConnection();
    connection.status = 'ready';
    const subscription = open(connection, { owned: false });
    await subscription.subscribe('a');
    await subscription.close(1_000);
    expect(connection.sent).toEqual(['SUBSCRIBE a', 'UNSUBSCRIBE a']);
    expect(connection.quit).not.toHaveBeenCalled();
    expect(connection.disconnect).not.toHaveBeenCalled();
    for (const event of ['message', 'ready', 'close', 'error'])
      expect(connection.listenerCount(event)).toBe(0);
  });

  it('does not report the drop a close causes', async () => {
    const connection = new FakeConnection();
    connection.status = 'ready';
    const onDropped = vi.fn();
    const subscription = open(connection, { onDropped });
    await subscription.close(1_000);
    connection.drop();
    expect(onDropped).not.toHaveBeenCalled();
  });
});
