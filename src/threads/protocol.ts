// The wire format between WorkerThreadPool (main thread) and the runtime in each thread
// (worker.ts). Internal: both sides are built from this file, never exported.
//
// Messages are flat arrays so that one postMessage carries a whole batch without an object per
// task (fewer allocations on both sides, one structured-clone pass, one wake-up per batch):
// - main → thread: repeated entries of 3 (`slot >= 0, handlerId, payload`) or 4
//   (`OP_DEFINE, handlerId, url, name`) items. A handler is defined once per thread before the
//   first task that uses it.
// - thread → main: repeated entries of 4 items: `slot, status, value, runMs`.
// The first message on `parentPort` is the init message ({@link InitMessage}) carrying the
// thread's port and its shared state; `workerData` stays the user's own.

/** Entry opcode that defines a handler (any task entry starts with a slot >= 0). */
export const OP_DEFINE = -1;
/** Result status: the function returned `value`. */
export const STATUS_OK = 0;
/** Result status: the function threw an `Error`, serialised by {@link serializeError}. */
export const STATUS_ERROR = 1;
/** Result status: the function threw something that is not an `Error`; `value` is it. */
export const STATUS_THROWN = 2;
/** Items per thread → main entry. */
export const RESULT_STRIDE = 4;

/** Index in the shared Int32Array: how many tasks the thread has started (set before each call). */
export const STATE_STARTED = 0;
/** Index in the shared Int32Array: 1 once the runtime is listening (bootstrap succeeded). */
export const STATE_READY = 1;
/** Length of the shared Int32Array. */
export const STATE_LENGTH = 2;

/** Marks the init message, so a user's own `parentPort` traffic is never mistaken for it. */
export const INIT_KEY = '__loadstoneThreadsInit';

/** The first message a thread receives. */
export type InitMessage = {
  readonly [INIT_KEY]: true;
  readonly port: import('node:worker_threads').MessagePort;
  readonly state: SharedArrayBuffer;
};

/** An `Error` as sent across the thread boundary (structured clone drops own properties). */
export type SerializedError = {
  readonly name: string;
  readonly message: string;
  readonly stack: string | undefined;
  readonly props: Record<string, unknown> | undefined;
  readonly cause: unknown;
};

/** Flattens an error into a clonable record keeping name, message, stack, `cause` and own fields. */
export function serializeError(error: Error): SerializedError {
  let props: Record<string, unknown> | undefined;
  for (const key of Object.keys(error)) {
    if (key === 'cause' || key === 'name' || key === 'message' || key === 'stack') continue;
    props ??= {};
    props[key] = (error as unknown as Record<string, unknown>)[key];
  }
  const cause: unknown = error.cause;
  return {
    name: error.name,
    message: error.message,
    stack: error.stack,
    props,
    cause: cause instanceof Error ? serializeError(cause) : cause,
  };
}

/** A minimal serialisation, for errors whose own fields cannot be cloned. */
export function serializeErrorBare(error: Error): SerializedError {
  return { name: error.name, message: error.message, stack: error.stack, props: undefined, cause: undefined };
}

function isSerializedError(value: unknown): value is SerializedError {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as SerializedError).name === 'string' &&
    typeof (value as SerializedError).message === 'string' &&
    'props' in value
  );
}

/** Rebuilds an `Error` on the main thread with the worker's name, message, stack and fields. */
export function reviveError(value: SerializedError): Error {
  const error = new Error(value.message);
  // Own property, as the thread's error had it from its class; instanceof the subclass is lost.
  Object.defineProperty(error, 'name', { value: value.name, writable: true, configurable: true });
  if (value.stack !== undefined) error.stack = value.stack;
  if (value.props !== undefined) Object.assign(error, value.props);
  if (value.cause !== undefined) {
    const cause = isSerializedError(value.cause) ? reviveError(value.cause) : value.cause;
    Object.defineProperty(error, 'cause', { value: cause, writable: true, configurable: true });
  }
  return error;
}
