import { type Meter, trace } from '@opentelemetry/api';
import { type Closeable, ClosedError, type CloseOptions, InvalidOptionError } from '../core/index.js';
import { signalOption } from '../core/internal/signalOption.js';
import { booleanOption, checkOptionKeys, optionNames, optionsObject } from '../core/internal/validate.js';
import { PrometheusExporter } from '../prometheus/index.js';
import { ChannelSpans } from './ChannelSpans.js';
import { FamilyInstruments } from './familyInstruments.js';
import { LazyMeter } from './LazyMeter.js';
import type { LoadstoneOtelOptions } from './LoadstoneOtelOptions.js';

const OPTIONS = optionNames<LoadstoneOtelOptions>()(['meterProvider', 'tracerProvider', 'spans']);
const SPANS = ['threads', 'pool', 'cache', 'jobs'] as const;
const PREFIX = 'loadstone';
/** The instrumentation scope's version: this package's. */
const VERSION = '0.1.0';

/**
 * loadstone in OpenTelemetry: every `MetricsSource` you `add` as observable instruments, and
 * spans for thread tasks, pool acquires, cache loads and job runs, from loadstone's
 * diagnostics channels. `@opentelemetry/api` is the only OpenTelemetry package it imports; your
 * SDK decides where the data goes.
 *
 * - **Metrics**: each primitive's stats under `loadstone.<module>.<field>` (the fields the
 *   Prometheus exporter serves: counters without `_total`, seconds with unit `s`, a latency
 *   summary's quantiles as a gauge with a `quantile` attribute), and a pool's under the semantic
 *   conventions where they exist: `db.client.connection.count` (`state` `idle`/`used`),
 *   `.max`, `.pending_requests`, `.timeouts`, and `db.client.connection.wait_time` (a histogram,
 *   from the acquires traced). Jobs record `messaging.process.duration` and
 *   `messaging.client.consumed.messages` (with `error.type` for a failed attempt).
 * - **Spans**: `thread task <name>`, `acquire <pool>`, `cache load <cache>` (INTERNAL) and
 *   `process <queue>` (CONSUMER, `messaging.*` attributes), children of the span active where the
 *   operation was called; a failure records the exception and sets status ERROR. A cache key is
 *   never an attribute.
 *
 * Without `meterProvider` the global provider is used once an SDK has registered one, so creating
 * this before `sdk.start()` loses nothing.
 *
 * @example
 * {@includeCode ./otel.test.ts#otel}
 */
export class LoadstoneInstrumentation implements Closeable {
  readonly #exporter = new PrometheusExporter({ prefix: PREFIX });
  readonly #meter: LazyMeter;
  readonly #spans: ChannelSpans;
  #families: FamilyInstruments | undefined;
  #closed = false;

  /**
   * Subscribes to the diagnostics channels at once; makes the metric instruments as soon as a
   * meter provider exists.
   *
   * @param options - the providers, which spans to make.
   * @throws `InvalidOptionError` (`ERR_LOADSTONE_INVALID_OPTION`) for a bad option.
   */
  constructor(options?: LoadstoneOtelOptions) {
    const opts = optionsObject('options', options);
    checkOptionKeys(opts, OPTIONS, 'LoadstoneInstrumentation');
    for (const [name, method] of [
      ['meterProvider', 'getMeter'],
      ['tracerProvider', 'getTracer'],
    ] as const) {
      const provider = opts[name] as Record<string, unknown> | undefined;
      if (provider !== undefined && typeof provider[method] !== 'function') {
        throw new InvalidOptionError(
          `options.${name}`,
          `an OpenTelemetry provider (with ${method}())`,
          provider,
        );
      }
    }
    const spanOpts = optionsObject('options.spans', opts.spans);
    checkOptionKeys(spanOpts, new Set<string>(SPANS), 'the span options', {}, 'options.spans');
    const spans = { threads: true, pool: true, cache: true, jobs: true };
    for (const name of SPANS) {
      if (spanOpts[name] !== undefined) spans[name] = booleanOption(`options.spans.${name}`, spanOpts[name]);
    }
    this.#meter = new LazyMeter(opts.meterProvider, VERSION, (meter) => this.#ready(meter));
    const tracer = (opts.tracerProvider ?? trace.getTracerProvider()).getTracer('loadstone', VERSION);
    this.#spans = new ChannelSpans(tracer, () => this.#meter.get(), spans);
  }

  /**
   * Observes a primitive's stats (a pool manager, a cache, a thread pool, a queue, a monitor… or
   * any `MetricsSource`), with a `name` attribute of `name`.
   *
   * @param name - the source's name, unique among those added.
   * @param source - anything with `stats()`.
   * @returns this, to chain.
   * @throws `InvalidOptionError` (`ERR_LOADSTONE_INVALID_OPTION`) for a name taken or a source
   *   without `stats()`; `ClosedError` (`ERR_LOADSTONE_CLOSED`) after `close()`.
   */
  add(name: string, source: { stats(): unknown }): this {
    if (this.#closed) throw new ClosedError('LoadstoneInstrumentation');
    this.#exporter.add(name, source);
    this.#families?.refresh();
    this.#meter.get();
    return this;
  }

  /** Whether {@link LoadstoneInstrumentation.close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Unsubscribes from the channels and removes the metric callbacks; the instruments the SDK
   * made stay (the API cannot delete them) but are no longer observed. Idempotent; nothing is
   * in flight, so it settles at once.
   *
   * @param options - checked like every `close()`'s; there is nothing to wait for.
   * @returns a resolved promise.
   */
  close(options?: CloseOptions): Promise<void> {
    try {
      signalOption(options, 'LoadstoneInstrumentation.close');
    } catch (error) {
      return Promise.reject(error);
    }
    this.#closed = true;
    this.#meter.stop();
    this.#spans.close();
    this.#families?.close();
    return Promise.resolve();
  }

  /**
   * The same as {@link LoadstoneInstrumentation.close}: nothing is in flight to abandon.
   *
   * @returns a resolved promise.
   */
  destroy(): Promise<void> {
    return this.close();
  }

  /**
   * Calls `close()`, for `await using`.
   *
   * @returns the promise `close()` returns.
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #ready(meter: Meter): void {
    if (this.#closed) return;
    this.#families = new FamilyInstruments(meter, this.#exporter, PREFIX);
  }
}
