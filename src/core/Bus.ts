import type { Closeable } from './Closeable.js';
import type { ClosedError } from './errors/ClosedError.js';
import type { InvalidOptionError } from './errors/InvalidOptionError.js';
import type { JsonValue } from './Json.js';

/**
 * Receives the messages of one subscription.
 *
 * @param message - the message, a copy of what was published (mutating it affects nobody).
 * @param channel - the channel it was published on.
 */
export type BusHandler = (message: JsonValue, channel: string) => void;

/**
 * Publish/subscribe messaging between the parts of an application, within a process or across
 * processes, used e.g. to invalidate cache entries everywhere. Every implementation has the
 * same contract, which `describeBusContract` in `loadstone/testing` checks:
 *
 * - each subscriber receives its own copy of every message published on its channel after it
 *   subscribed and before it unsubscribed, in publish order;
 * - messages must survive JSON: anything else rejects the publish with {@link InvalidOptionError};
 * - delivery is asynchronous: no handler runs before `publish()` returns;
 * - a handler that throws affects neither the publisher nor other handlers; the error goes to
 *   the bus's `onHandlerError` option;
 * - after `close()`, `publish()` rejects and `subscribe()` throws {@link ClosedError}; `close()`
 *   waits for messages already accepted to be delivered.
 *
 * @example
 * {@includeCode ./InProcessBus.test.ts#bus}
 */
export interface Bus extends Closeable {
  /**
   * Sends `message` to the current subscribers of `channel`. Resolves once the bus has
   * accepted the message, not when handlers have run.
   *
   * @param channel - a non-empty string.
   * @param message - a JSON-serialisable value.
   * @returns a promise that resolves when the message is accepted.
   * @throws {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION`, as a rejection (never
   * synchronously), for an empty channel or a message that does not survive JSON.
   * @throws {@link ClosedError} `ERR_LOADSTONE_CLOSED`, as a rejection, after
   * `close()`/`destroy()`.
   */
  publish(channel: string, message: JsonValue): Promise<void>;

  /**
   * Calls `handler` with every message later published on `channel`.
   *
   * @param channel - a non-empty string; channels are matched exactly, no patterns.
   * @param handler - receives each message; subscribing the same function twice calls it twice.
   * @returns a handle whose `[Symbol.dispose]()` unsubscribes (idempotent; `using` works).
   * @throws {@link InvalidOptionError} `ERR_LOADSTONE_INVALID_OPTION` for an empty channel or
   * a handler that is not a function.
   * @throws {@link ClosedError} `ERR_LOADSTONE_CLOSED` after `close()`/`destroy()`.
   */
  subscribe(channel: string, handler: BusHandler): Disposable;
}
