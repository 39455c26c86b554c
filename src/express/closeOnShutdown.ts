import type { Server } from 'node:net';
import { InvalidOptionError } from '../core/errors/InvalidOptionError.js';
import { TimeoutError } from '../core/errors/TimeoutError.js';
import { timedOutWaiting } from '../core/internal/deadline.js';
import { ServerDrainer } from '../core/internal/ServerDrainer.js';
import {
  booleanOption,
  checkOptionKeys,
  optionNames,
  optionsObject,
  timerMsOption,
} from '../core/internal/validate.js';
import { warnThrew } from '../core/internal/warnThrew.js';
import { HealthMonitor } from '../health/index.js';
import type { CloseOnShutdownOptions, ShutdownCloseable } from './ExpressOptions.js';

const OPTIONS = optionNames<CloseOnShutdownOptions>()([
  'monitor',
  'close',
  'delayMs',
  'timeoutMs',
  'keepAliveMs',
  'signals',
  'exit',
]);

/** What a shutdown did, for logs and the exit code. */
export type ShutdownReport = {
  /** Requests still in flight at the timeout, whose connections were destroyed: 0 when none. */
  readonly requestsCut: number;
  /** Closeables that threw, rejected, or were still closing at the timeout: their errors. */
  readonly failures: readonly unknown[];
  /** From the signal (or call) to the end, in ms. */
  readonly durationMs: number;
};

/** What {@link closeOnShutdown} returns. */
export type ShutdownHook = {
  /**
   * Shuts down now (what a signal does, without exiting): readiness fails, the server drains,
   * the closeables close. Idempotent: every call gets the same report.
   */
  shutdown(): Promise<ShutdownReport>;
  /** Removes the signal listeners (a shutdown under way carries on). */
  remove(): void;
  /** Whether shutdown has begun. */
  readonly shuttingDown: boolean;
};

/**
 * Closes an HTTP server and what it uses on `SIGTERM` without losing a request: readiness turns
 * to `503` at once (so load balancers stop sending), after `delayMs` the server stops accepting,
 * requests in flight finish (answered with `Connection: close`; idle keep-alive connections are
 * kept for `keepAliveMs`, since destroying them drops requests already on the wire), then
 * `close` closes in reverse order and the process exits. A second signal exits at once with code
 * 1. Call it right after `listen()`: connections opened before it are not waited for.
 *
 * Works for any `http`/`https` server: Express's `app.listen()`, Koa's, a bare one. Under a
 * `ClusterSupervisor`, the worker drains by itself: register the closeables with the worker's
 * context instead.
 *
 * @param server - the listening server.
 * @param options - the monitor, what to close, the delay and the budget.
 * @returns the hook, to shut down by hand or remove the listeners.
 * @throws `InvalidOptionError` (`ERR_LOADSTONE_INVALID_OPTION`) for a bad option.
 *
 * @example
 * {@includeCode ./express.test.ts#express}
 */
export function closeOnShutdown(server: Server, options?: CloseOnShutdownOptions): ShutdownHook {
  if (typeof (server as Partial<Server>)?.close !== 'function' || typeof server.on !== 'function') {
    throw new InvalidOptionError('server', 'a node:http or node:net Server', server);
  }
  const opts = optionsObject('options', options);
  checkOptionKeys(opts, OPTIONS, 'closeOnShutdown');
  if (opts.monitor !== undefined && !(opts.monitor instanceof HealthMonitor)) {
    throw new InvalidOptionError('options.monitor', 'a HealthMonitor', opts.monitor);
  }
  const closeables = closeableList(opts.close);
  const delayMs = timerMsOption('options.delayMs', opts.delayMs ?? 0);
  const timeoutMs = timerMsOption('options.timeoutMs', opts.timeoutMs ?? 10_000, 1);
  const keepAliveMs = timerMsOption('options.keepAliveMs', opts.keepAliveMs ?? 1_000, 1);
  const signals = signalList(opts.signals);
  const exit = opts.exit === undefined ? true : booleanOption('options.exit', opts.exit);
  const monitor = opts.monitor;
  const drainer = new ServerDrainer(server);

  let report: Promise<ShutdownReport> | undefined;
  const shutdown = (): Promise<ShutdownReport> => {
    report ??= run();
    return report;
  };
  const run = async (): Promise<ShutdownReport> => {
    const began = performance.now();
    const failures: unknown[] = [];
    try {
      monitor?.beginShutdown();
    } catch (error) {
      failures.push(error); // a failing monitor must not stop the drain
    }
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
    const deadline = performance.now() + timeoutMs;
    drainer.begin(keepAliveMs);
    // Most of the budget to the requests; the rest is the closeables' (a hung one is left behind).
    let requestsCut = 0;
    if (await timedOutWaiting(drainer.whenIdle(), timeoutMs * 0.8)) {
      requestsCut = drainer.requestsInFlight;
      drainer.destroyAll();
    }
    const last = monitor === undefined ? [] : [monitor];
    for (const closeable of [...closeables].reverse().concat(last)) {
      const left = Math.max(1, deadline - performance.now());
      const closed = Promise.resolve()
        .then(() => closeable.close())
        .then(
          () => ({ failed: false, error: undefined }),
          (error: unknown) => ({ failed: true, error }),
        );
      if (await timedOutWaiting(closed, left)) failures.push(new TimeoutError('closing at shutdown', left));
      else {
        const { failed, error } = await closed;
        if (failed) failures.push(error);
      }
    }
    return { requestsCut, failures, durationMs: performance.now() - began };
  };

  let signalled = 0;
  const onSignal = (): void => {
    signalled++;
    if (signalled > 1) {
      process.exit(1); // the second Ctrl-C: stop waiting
      return;
    }
    shutdown().then((done) => {
      for (const failure of done.failures) warnThrew('LOADSTONE_WARN_SHUTDOWN_FAILED', 'Shutdown', failure);
      if (done.requestsCut > 0) {
        warnThrew(
          'LOADSTONE_WARN_SHUTDOWN_FAILED',
          'Shutdown',
          `${done.requestsCut} requests cut at the timeout`,
        );
      }
      if (exit) process.exit(done.failures.length === 0 && done.requestsCut === 0 ? 0 : 1);
    });
  };
  for (const signal of signals) process.on(signal, onSignal);
  return {
    shutdown,
    remove: () => {
      for (const signal of signals) process.off(signal, onSignal);
    },
    get shuttingDown() {
      return report !== undefined;
    },
  };
}

function closeableList(value: unknown): readonly ShutdownCloseable[] {
  if (value === undefined) return [];
  if (!Array.isArray(value))
    throw new InvalidOptionError('options.close', 'an array of objects with close()', value);
  value.forEach((item: unknown, i) => {
    if (typeof (item as Partial<ShutdownCloseable> | null)?.close !== 'function') {
      throw new InvalidOptionError(`options.close[${i}]`, 'an object with a close() method', item);
    }
  });
  return value as ShutdownCloseable[];
}

function signalList(value: unknown): readonly NodeJS.Signals[] {
  if (value === undefined) return ['SIGTERM', 'SIGINT'];
  if (!Array.isArray(value))
    throw new InvalidOptionError('options.signals', 'an array of signal names', value);
  value.forEach((signal: unknown, i) => {
    if (typeof signal !== 'string' || !/^SIG[A-Z0-9]+$/.test(signal)) {
      throw new InvalidOptionError(`options.signals[${i}]`, "a signal name such as 'SIGTERM'", signal);
    }
  });
  return value as NodeJS.Signals[];
}
