import type { TransferListItem } from 'node:worker_threads';

const TRANSFER = Symbol.for('loadstone.threads.transfer');

/** A task result marked by {@link transfer}: its buffers move back to the caller instead of being copied. */
export type Transferred<T> = {
  /** The result the caller receives. */
  readonly value: T;
  /** What moves with it. */
  readonly transferList: readonly TransferListItem[];
  /** @internal */
  readonly [TRANSFER]: true;
};

/**
 * Marks a worker function's result for the zero-copy return path: the objects in `transferList`
 * (usually `ArrayBuffer`s inside `value`) move to the main thread instead of being copied, and
 * the caller's `run` resolves with `value` itself. Call it inside the worker module.
 *
 * @param value - the result.
 * @param transferList - the transferable objects `value` holds; defaults to `[value]` when
 *   `value` is an `ArrayBuffer`, to `[value.buffer]` for a typed array or `DataView` covering
 *   its whole buffer, and to none otherwise.
 * @returns a marker the pool's thread runtime unwraps.
 *
 * @example
 * {@includeCode ../../test/fixtures/threads/tasks.mjs#transfer}
 */
export function transfer<T>(value: T, transferList?: readonly TransferListItem[]): Transferred<T> {
  let list = transferList;
  if (list === undefined) {
    if (value instanceof ArrayBuffer) list = [value];
    else if (ArrayBuffer.isView(value) && value.buffer instanceof ArrayBuffer) {
      list = value.byteOffset === 0 && value.byteLength === value.buffer.byteLength ? [value.buffer] : [];
    } else list = [];
  }
  return { value, transferList: list, [TRANSFER]: true };
}

/** Whether `value` came from {@link transfer} (across duplicate copies of the package too). */
export function isTransferred(value: unknown): value is Transferred<unknown> {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[TRANSFER] === true;
}
