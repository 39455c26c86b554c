import type { MeterProvider, TracerProvider } from '@opentelemetry/api';

/** Options of {@link LoadstoneInstrumentation}; every one may be left out. */
export type LoadstoneOtelOptions = {
  /**
   * Where the instruments are made. Without one, the global provider, looked up until an SDK has
   * registered one (at `add()`, at each traced operation, and once a second meanwhile, on an
   * unref'd timer): the OpenTelemetry metrics API has no proxy, so an instrument made from the
   * no-op provider before the SDK starts would stay a no-op for good.
   * @default the global MeterProvider, once one is registered
   */
  readonly meterProvider?: MeterProvider;
  /**
   * Where the spans are made.
   * @default the global TracerProvider (a proxy: an SDK registered later receives the spans)
   */
  readonly tracerProvider?: TracerProvider;
  /**
   * Which traced operations become spans: thread tasks, pool acquires, cache loads, job runs.
   * (`db.client.connection.wait_time` and the `messaging.*` job metrics are recorded either way.)
   * @default { threads: true, pool: true, cache: true, jobs: true }
   */
  readonly spans?: {
    /** `thread task <name>` spans for `WorkerThreadPool.run`. */
    readonly threads?: boolean;
    /** `acquire <pool>` spans for `ConnectionPool.acquire`. */
    readonly pool?: boolean;
    /** `cache load <cache>` spans for `TieredCache` loader calls. */
    readonly cache?: boolean;
    /** `process <queue>` CONSUMER spans for `JobWorker` job runs. */
    readonly jobs?: boolean;
  };
};
