// A scripted stand-in for an ioredis subscriber connection, for RedisSubscriberConnection's unit
// tests: it behaves like a client made with `enableOfflineQueue: false` (commands refused until
// ready). The helper's behaviour against a real Redis is tested in test/integration.
import { EventEmitter } from 'node:events';
import { vi } from 'vitest';
import {
  RedisSubscriberConnection,
  type RedisSubscriberConnectionOptions,
} from '../../src/core/internal/RedisSubscriberConnection.js';

export const never = (): Promise<never> => new Promise<never>(() => {});
/** Lets the promise callbacks queued so far run (no timers involved). */
export const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Behaves like an ioredis client created with `enableOfflineQueue: false`. */
export class FakeConnection extends EventEmitter {
  status: string | undefined = 'connecting';
  readonly sent: string[] = [];
  hang = false;
  readonly connect = vi.fn(async () => undefined);
  readonly quit = vi.fn(async (): Promise<unknown> => 'OK');
  readonly disconnect = vi.fn();

  subscribe(channel: string): Promise<unknown> {
    return this.#command(`SUBSCRIBE ${channel}`);
  }
  unsubscribe(channel: string): Promise<unknown> {
    return this.#command(`UNSUBSCRIBE ${channel}`);
  }
  becomeReady(): void {
    this.status = 'ready';
    this.emit('ready');
  }
  /** The connection closes (or one more attempt to reconnect fails), with `error` first if given. */
  drop(error?: Error): void {
    this.status = 'reconnecting';
    if (error !== undefined) this.emit('error', error);
    this.emit('close');
  }
  /** Pushes `command` to `sent` and confirms it (never, when `hang`); refused unless ready. */
  #command(command: string): Promise<unknown> {
    if (this.status !== 'ready' && this.status !== undefined) {
      return Promise.reject(new Error("Stream isn't writeable and enableOfflineQueue options is false"));
    }
    this.sent.push(command);
    return this.hang ? never() : Promise.resolve(1);
  }
}

export const open = (connection: FakeConnection, options: Partial<RedisSubscriberConnectionOptions> = {}) =>
  new RedisSubscriberConnection({
    connection,
    owned: true,
    onMessage: () => undefined,
    confirmTimeoutMs: 1_000,
    ...options,
  });
