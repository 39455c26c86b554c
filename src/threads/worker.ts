// The thread side of WorkerThreadPool: loaded inside each thread (never on the main thread), it
// imports the user's worker modules and calls their exports. See protocol.ts for the wire format.
//
// Tasks start strictly in the order they arrive, and the shared `started` counter is bumped just
// before each call: when a thread dies, the main thread knows exactly which of the tasks it had
// handed over had started (rejected) and which had not (re-run elsewhere).
import { performance } from 'node:perf_hooks';
import {
  type MessagePort,
  parentPort,
  receiveMessageOnPort,
  type TransferListItem,
} from 'node:worker_threads';
import {
  INIT_KEY,
  type InitMessage,
  OP_DEFINE,
  STATE_READY,
  STATE_STARTED,
  STATUS_ERROR,
  STATUS_OK,
  STATUS_THROWN,
  serializeError,
  serializeErrorBare,
} from './protocol.js';
import { isTransferred } from './transfer.js';

type TaskFn = (payload: unknown) => unknown;

type Handler = {
  fn: TaskFn | undefined;
  /** Moving average of its run time (ms); starts high so that a first run counts as slow. */
  avgMs: number;
  error: unknown;
  loading: Promise<void> | undefined;
};

/** Results are posted at the latest this long after the first unposted one (ms). */
const FLUSH_AFTER_MS = 0.2;
/**
 * Results still unposted are posted before starting a task whose function usually runs at
 * least this long (ms), or has not run yet. A thread can die in a task in a way no hook sees
 * (out of memory), and the results of the tasks before it must not die with it.
 */
const SLOW_MS = 0.05;
const RUNTIME_KEY = Symbol.for('loadstone.threads.runtime');

// A real dynamic import in both builds: the CommonJS build is converted from the ESM one, which
// would turn `import()` into `require()` (unable to load ESM worker modules or file: URLs).
const importModule = new Function('url', 'return import(url)') as (
  url: string,
) => Promise<Record<string, unknown>>;

const globals = globalThis as unknown as Record<symbol, unknown>;
// The ESM and CJS copies (or a worker module importing this by mistake) must not both start.
if (parentPort !== null && globals[RUNTIME_KEY] === undefined) {
  globals[RUNTIME_KEY] = true;
  const root = parentPort;
  const onInit = (message: unknown): void => {
    if (typeof message !== 'object' || message === null || !(INIT_KEY in message)) return;
    root.off('message', onInit);
    start(message as InitMessage);
  };
  root.on('message', onInit);
}

function start(init: InitMessage): void {
  const port: MessagePort = init.port;
  const state = new Int32Array(init.state);
  const modules = new Map<string, Promise<Record<string, unknown>>>();
  const handlers: Handler[] = [];

  // Tasks received and not started: flat `slot, handlerId, payload`, consumed from `head`.
  let inbox: unknown[] = [];
  let head = 0;
  let started = 0;
  let blocked = false;

  let out: unknown[] = [];
  let outTransfer: TransferListItem[] = [];
  // Entry index → its own transfer list, only used to re-post entries one by one after a failure.
  let outTransferByEntry: Map<number, readonly TransferListItem[]> | undefined;
  let firstResultAt = 0;
  let flushQueued = false;

  const loadModule = (url: string): Promise<Record<string, unknown>> => {
    let mod = modules.get(url);
    if (mod === undefined) {
      mod = importModule(url);
      modules.set(url, mod);
    }
    return mod;
  };

  const define = (id: number, url: string, name: string | null): void => {
    const handler: Handler = { fn: undefined, avgMs: SLOW_MS, error: undefined, loading: undefined };
    handlers[id] = handler;
    handler.loading = loadModule(url).then(
      (mod) => {
        handler.loading = undefined;
        const fn = pickExport(mod, name);
        if (typeof fn === 'function') handler.fn = fn as TaskFn;
        else {
          handler.error = new TypeError(
            name === null
              ? `Worker module ${url} has no default export function`
              : `Worker module ${url} has no exported function "${name}"`,
          );
        }
      },
      (error: unknown) => {
        handler.loading = undefined;
        handler.error = error;
      },
    );
  };

  const receive = (batch: unknown[]): void => {
    for (let i = 0; i < batch.length; ) {
      const op = batch[i] as number;
      if (op === OP_DEFINE) {
        define(batch[i + 1] as number, batch[i + 2] as string, batch[i + 3] as string | null);
        i += 4;
      } else {
        inbox.push(op, batch[i + 1], batch[i + 2]);
        i += 3;
      }
    }
  };

  const scheduleFlush = (): void => {
    if (flushQueued) return;
    flushQueued = true;
    queueMicrotask(flushFromMicrotask);
  };
  const flushFromMicrotask = (): void => {
    flushQueued = false;
    flush();
  };

  const push = (slot: number, status: number, value: unknown, t0: number, now: number): void => {
    if (out.length === 0) firstResultAt = now;
    if (status === STATUS_OK && isTransferred(value)) {
      const list = value.transferList;
      if (list.length > 0) {
        outTransferByEntry ??= new Map();
        outTransferByEntry.set(out.length, list);
        for (const t of list) outTransfer.push(t);
      }
      value = value.value;
    }
    out.push(slot, status, value, now - t0);
  };

  const pushThrown = (slot: number, error: unknown, t0: number, now: number): void => {
    if (error instanceof Error) push(slot, STATUS_ERROR, serializeError(error), t0, now);
    else push(slot, STATUS_THROWN, error, t0, now);
  };

  const flush = (): void => {
    if (out.length === 0) return;
    const batch = out;
    const transferList = outTransfer;
    const byEntry = outTransferByEntry;
    out = [];
    outTransfer = [];
    outTransferByEntry = undefined;
    try {
      port.postMessage(batch, transferList);
    } catch {
      // Something in the batch cannot be cloned: post entries one by one so only that task fails.
      for (let i = 0; i < batch.length; i += 4) {
        const entry = batch.slice(i, i + 4);
        try {
          port.postMessage(entry, byEntry?.get(i) ?? []);
        } catch (error) {
          const why = error instanceof Error ? error : new Error(String(error));
          const bare = new Error(`The task's result could not be sent to the main thread: ${why.message}`);
          bare.name = 'DataCloneError';
          const status = entry[1] as number;
          const original = entry[2];
          const fallback =
            status === STATUS_ERROR
              ? serializeErrorBare(original as Error)
              : status === STATUS_THROWN
                ? serializeErrorBare(new Error(String(original)))
                : serializeErrorBare(bare);
          port.postMessage([entry[0], STATUS_ERROR, fallback, entry[3]]);
        }
      }
    }
  };

  const runPending = (): void => {
    while (head < inbox.length) {
      const slot = inbox[head] as number;
      const handler = handlers[inbox[head + 1] as number];
      if (handler?.loading !== undefined) {
        blocked = true;
        handler.loading.then(unblock, unblock);
        return;
      }
      const payload = inbox[head + 2];
      inbox[head + 2] = undefined;
      head += 3;
      if (out.length > 0 && handler !== undefined && handler.avgMs >= SLOW_MS) flush();
      Atomics.store(state, STATE_STARTED, ++started);
      const t0 = performance.now();
      if (handler === undefined || handler.fn === undefined) {
        pushThrown(slot, handler?.error ?? new Error('Unknown task handler'), t0, t0);
        continue;
      }
      let result: unknown;
      try {
        result = handler.fn(payload);
      } catch (error) {
        pushThrown(slot, error, t0, performance.now());
        continue;
      }
      if (
        result !== null &&
        (typeof result === 'object' || typeof result === 'function') &&
        typeof (result as PromiseLike<unknown>).then === 'function'
      ) {
        handler.avgMs += (performance.now() - t0 - handler.avgMs) * 0.2;
        (result as PromiseLike<unknown>).then(
          (value) => {
            push(slot, STATUS_OK, value, t0, performance.now());
            scheduleFlush();
          },
          (error: unknown) => {
            pushThrown(slot, error, t0, performance.now());
            scheduleFlush();
          },
        );
        continue;
      }
      const now = performance.now();
      handler.avgMs += (now - t0 - handler.avgMs) * 0.2;
      push(slot, STATUS_OK, result, t0, now);
      // A run of slow synchronous tasks must not hold back the results already made.
      if (now - firstResultAt >= FLUSH_AFTER_MS) flush();
    }
    if (head > 0) {
      if (head >= inbox.length) inbox = [];
      else inbox = inbox.slice(head);
      head = 0;
    }
  };

  const pump = (): void => {
    for (;;) {
      runPending();
      if (blocked) break;
      const next = receiveMessageOnPort(port);
      if (next === undefined) break;
      receive(next.message as unknown[]);
    }
    flush();
  };

  const unblock = (): void => {
    if (!blocked) return;
    blocked = false;
    pump();
  };

  // Finished results must reach the main thread even when the thread dies in the next task:
  // they are posted before process.exit runs and before an uncaught exception ends the thread.
  const exit = process.exit.bind(process);
  process.exit = ((code?: number | string | null) => {
    flush();
    return exit(code as number | undefined);
  }) as typeof process.exit;
  process.on('uncaughtExceptionMonitor', flush);

  port.on('message', (batch: unknown[]) => {
    receive(batch);
    if (!blocked) pump();
  });
  Atomics.store(state, STATE_READY, 1);
}

function pickExport(mod: Record<string, unknown>, name: string | null): unknown {
  const fallback = mod.default as Record<string, unknown> | ((...args: unknown[]) => unknown) | undefined;
  if (name === null) {
    if (typeof fallback === 'function') return fallback;
    // A transpiled CommonJS module (`exports.default = fn`).
    if (typeof fallback === 'object' && fallback !== null) return fallback.default;
    return undefined;
  }
  // Own exports only: a task name is data, and `constructor` or `toString` must not run the
  // methods every object inherits.
  if (Object.hasOwn(mod, name) && typeof mod[name] === 'function') return mod[name];
  // CommonJS exports that Node's static analysis did not detect (`module.exports = { hash }`).
  if ((typeof fallback === 'object' || typeof fallback === 'function') && fallback !== null) {
    return Object.hasOwn(fallback, name) ? (fallback as Record<string, unknown>)[name] : undefined;
  }
  return undefined;
}
