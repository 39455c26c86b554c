// One diagnostics_channel TracingChannel per traced operation, for `loadstone/otel` or any other
// subscriber. With no subscriber a traced call costs five property reads (the benchmark in
// bench/cases/diagnostics.bench.ts measures it on the pool's fast path), and no context object is made.
import { type TracingChannel, tracingChannel } from 'node:diagnostics_channel';

/** A traced operation: `active` says whether anyone listens; `trace` runs `work` under its events. */
export class Tracer<C extends object> {
  readonly #channel: TracingChannel<unknown, C>;

  constructor(name: string) {
    this.#channel = tracingChannel<unknown, C>(name);
  }

  /**
   * Whether any of the five events has a subscriber. (`TracingChannel.hasSubscribers` exists only
   * from Node 20.13; these reads work on every Node 20.)
   */
  get active(): boolean {
    const c = this.#channel;
    return (
      c.start.hasSubscribers ||
      c.end.hasSubscribers ||
      c.asyncStart.hasSubscribers ||
      c.asyncEnd.hasSubscribers ||
      c.error.hasSubscribers
    );
  }

  /**
   * Runs `work` between `start`/`end`, with `asyncStart`/`asyncEnd` (and `error`) when its promise
   * settles, also when it throws synchronously; the context gets `result` or `error`. Call it only when {@link active}, so that the
   * context object is made only for a subscriber.
   */
  trace<T>(work: () => Promise<T>, context: C): Promise<T> {
    // Async, so that a synchronous throw is a rejection too: every traced operation then ends
    // with `asyncEnd`, which is where subscribers finish it.
    return this.#channel.tracePromise(async () => work(), context);
  }
}
