// loadstone's diagnostics channels as OpenTelemetry spans (and the semantic-convention histograms
// that need an operation's start and end: pool wait time, job processing time).
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import {
  type Attributes,
  context,
  type Histogram,
  type Meter,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
} from '@opentelemetry/api';
import {
  type CacheLoadContext,
  diagnosticsChannels,
  type JobRunContext,
  type PoolAcquireContext,
  type ThreadTaskContext,
} from '../core/index.js';
import {
  ATTR_DB_CLIENT_CONNECTION_POOL_NAME,
  ATTR_ERROR_TYPE,
  ATTR_MESSAGING_DESTINATION_NAME,
  ATTR_MESSAGING_MESSAGE_ID,
  ATTR_MESSAGING_OPERATION_NAME,
  ATTR_MESSAGING_OPERATION_TYPE,
  ATTR_MESSAGING_SYSTEM,
  DB_CLIENT_CONNECTION_WAIT_TIME,
  MESSAGING_CLIENT_CONSUMED_MESSAGES,
  MESSAGING_PROCESS_DURATION,
} from './semconv.js';

/** How one channel's operations become a span and, optionally, a duration. */
type Spec<C> = {
  readonly channel: string;
  readonly spans: boolean;
  readonly name: (c: C) => string;
  readonly kind: SpanKind;
  readonly attributes: (c: C) => Attributes;
  /** Records the operation's duration (s) and outcome once it settled. */
  readonly done?: (meter: Meter | undefined, c: C, seconds: number, error: unknown) => void;
};

type Open = { readonly span: Span | undefined; readonly started: number };

/** The instruments the channels record into, made once the meter exists. */
type Histograms = { wait?: Histogram; process?: Histogram; consumed?: ReturnType<Meter['createCounter']> };

const errorType = (error: unknown): string =>
  error instanceof Error
    ? (((error as { code?: unknown }).code as string | undefined) ?? error.name)
    : typeof error;

/** Subscribes to every channel; `close()` unsubscribes. */
export class ChannelSpans {
  readonly #tracer: Tracer;
  readonly #meter: () => Meter | undefined;
  readonly #histograms: Histograms = {};
  readonly #unsubscribe: (() => void)[] = [];

  constructor(
    tracer: Tracer,
    meter: () => Meter | undefined,
    spans: { threads: boolean; pool: boolean; cache: boolean; jobs: boolean },
  ) {
    this.#tracer = tracer;
    this.#meter = meter;
    this.#watch<ThreadTaskContext>({
      channel: diagnosticsChannels.threadTask,
      spans: spans.threads,
      name: (c) => `thread task ${c.task ?? 'default'}`,
      kind: SpanKind.INTERNAL,
      attributes: (c) => ({
        'loadstone.threads.pool': c.pool,
        'loadstone.threads.task': c.task ?? 'default',
      }),
    });
    this.#watch<PoolAcquireContext>({
      channel: diagnosticsChannels.poolAcquire,
      spans: spans.pool,
      name: (c) => `acquire ${c.pool}`,
      kind: SpanKind.INTERNAL,
      attributes: (c) => ({ [ATTR_DB_CLIENT_CONNECTION_POOL_NAME]: c.pool }),
      done: (m, c, seconds) => {
        this.#histograms.wait ??= m?.createHistogram(DB_CLIENT_CONNECTION_WAIT_TIME, {
          unit: 's',
          description: 'The time it took to obtain an open connection from the pool.',
        });
        this.#histograms.wait?.record(seconds, { [ATTR_DB_CLIENT_CONNECTION_POOL_NAME]: c.pool });
      },
    });
    this.#watch<CacheLoadContext>({
      channel: diagnosticsChannels.cacheLoad,
      spans: spans.cache,
      name: (c) => `cache load ${c.cache}`,
      kind: SpanKind.INTERNAL,
      // The key is request data: left out of attributes (spans are often kept for weeks).
      attributes: (c) => ({ 'loadstone.cache.name': c.cache, 'loadstone.cache.refresh': c.refresh }),
    });
    this.#watch<JobRunContext>({
      channel: diagnosticsChannels.jobRun,
      spans: spans.jobs,
      name: (c) => `process ${c.queue}`,
      kind: SpanKind.CONSUMER,
      attributes: (c) => ({
        [ATTR_MESSAGING_SYSTEM]: 'loadstone',
        [ATTR_MESSAGING_OPERATION_NAME]: 'process',
        [ATTR_MESSAGING_OPERATION_TYPE]: 'process',
        [ATTR_MESSAGING_DESTINATION_NAME]: c.queue,
        [ATTR_MESSAGING_MESSAGE_ID]: c.jobId,
        'loadstone.jobs.attempt': c.attempt,
      }),
      done: (m, c, seconds, error) => {
        const h = this.#histograms;
        h.process ??= m?.createHistogram(MESSAGING_PROCESS_DURATION, {
          unit: 's',
          description: 'Duration of processing operation.',
        });
        h.consumed ??= m?.createCounter(MESSAGING_CLIENT_CONSUMED_MESSAGES, {
          unit: '{message}',
          description: 'Number of messages that were delivered to the application.',
        });
        const attributes: Attributes = {
          [ATTR_MESSAGING_SYSTEM]: 'loadstone',
          [ATTR_MESSAGING_OPERATION_NAME]: 'process',
          [ATTR_MESSAGING_DESTINATION_NAME]: c.queue,
          ...(error === undefined ? {} : { [ATTR_ERROR_TYPE]: errorType(error) }),
        };
        h.process?.record(seconds, attributes);
        h.consumed?.add(1, attributes);
      },
    });
  }

  close(): void {
    for (const off of this.#unsubscribe.splice(0)) off();
  }

  #watch<C extends object>(spec: Spec<C & { error?: unknown }>): void {
    if (!spec.spans && spec.done === undefined) return;
    const open = new WeakMap<object, Open>();
    const finish = (c: C & { error?: unknown }): void => {
      const entry = open.get(c);
      if (entry === undefined) return;
      open.delete(c);
      const { error } = c;
      if (entry.span !== undefined) {
        if (error !== undefined) {
          entry.span.recordException(error instanceof Error ? error : String(error));
          entry.span.setStatus({ code: SpanStatusCode.ERROR, message: String(error) });
          entry.span.setAttribute(ATTR_ERROR_TYPE, errorType(error));
        }
        entry.span.end();
      }
      spec.done?.(this.#meter(), c, (performance.now() - entry.started) / 1000, error);
    };
    const handlers: [string, (message: unknown) => void][] = [
      [
        'start',
        (message) => {
          const c = message as C & { error?: unknown };
          const span = spec.spans
            ? this.#tracer.startSpan(
                spec.name(c),
                { kind: spec.kind, attributes: spec.attributes(c) },
                context.active(),
              )
            : undefined;
          open.set(c, { span, started: performance.now() });
        },
      ],
      // Every traced operation settles as a promise (a synchronous throw too): `asyncEnd` ends it.
      ['asyncEnd', (message) => finish(message as C)],
    ];
    for (const [event, handler] of handlers) {
      const name = `tracing:${spec.channel}:${event}`;
      subscribe(name, handler);
      this.#unsubscribe.push(() => unsubscribe(name, handler));
    }
  }
}
