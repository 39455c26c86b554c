// loadstone/otel against the OpenTelemetry SDK's own in-memory readers and exporters.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { metrics, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import {
  AggregationTemporality,
  DataPointType,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it } from 'vitest';
import { expectInvalidOption } from '../../test/helpers/expectInvalidOption.js';
import { MemoryTier, TieredCache } from '../cache/index.js';
import { JobQueue, JobWorker } from '../jobs/index.js';
import { ConnectionPoolManager } from '../pool/index.js';
import { WorkerThreadPool } from '../threads/index.js';
import { LoadstoneInstrumentation } from './index.js';

const TASKS = fileURLToPath(new URL('../../test/fixtures/threads/tasks.mjs', import.meta.url));

const closing: { close(): unknown }[] = [];
afterEach(async () => {
  for (const c of closing.splice(0).reverse()) await c.close();
  metrics.disable();
  trace.disable();
});

function sdk() {
  const reader = new PeriodicExportingMetricReader({
    exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE),
    exportIntervalMillis: 3_600_000,
  });
  const meterProvider = new MeterProvider({ readers: [reader] });
  const spans = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });
  closing.push({ close: () => meterProvider.shutdown() }, { close: () => tracerProvider.shutdown() });
  /** Every data point collected now, as `[metric name, attributes, value]`. */
  const collect = async () => {
    const { resourceMetrics } = await reader.collect();
    return resourceMetrics.scopeMetrics.flatMap((scope) =>
      scope.metrics.flatMap((metric) =>
        metric.dataPoints.map((point) => ({
          name: metric.descriptor.name,
          unit: metric.descriptor.unit,
          description: metric.descriptor.description,
          // The instrument's kind: a counter is a monotonic sum, an up-down counter a sum that is not.
          kind:
            metric.dataPointType === DataPointType.GAUGE
              ? 'gauge'
              : metric.dataPointType === DataPointType.SUM
                ? metric.isMonotonic
                  ? 'counter'
                  : 'updown'
                : 'histogram',
          attributes: point.attributes,
          value: point.value as number | { count: number; sum?: number },
        })),
      ),
    );
  };
  return { meterProvider, tracerProvider, spans, collect };
}

describe('loadstone/otel', () => {
  it('reaches an SDK registered after it was made: pool metrics by the semantic conventions, and spans', async () => {
    const pools = new ConnectionPoolManager();
    closing.push(pools);
    pools.register('db', { create: async () => ({}), destroy: async () => {} }, { max: 4 });
    // #region otel
    const otel = new LoadstoneInstrumentation(); // at start-up, before the SDK: nothing is lost
    otel.add('pools', pools); // and caches, thread pools, queues, monitors: anything with stats()
    // … later the SDK starts (sdk.start()), registering the global providers.
    // #endregion otel
    closing.push(otel);
    const { meterProvider, tracerProvider, spans, collect } = sdk();
    metrics.setGlobalMeterProvider(meterProvider);
    trace.setGlobalTracerProvider(tracerProvider);

    const held = await pools.acquire('db'); // traced: the first event finds the SDK
    await pools.use('db', async () => 'done');
    const points = await collect();
    const find = (name: string, attributes: Record<string, unknown> = {}) =>
      points.find(
        (p) => p.name === name && Object.entries(attributes).every(([k, v]) => p.attributes[k] === v),
      );
    const pool = { 'db.client.connection.pool.name': 'db' };
    expect(find('db.client.connection.count', { ...pool, 'db.client.connection.state': 'used' })?.value).toBe(
      1,
    );
    expect(find('db.client.connection.count', { ...pool, 'db.client.connection.state': 'idle' })?.value).toBe(
      1,
    );
    expect(find('db.client.connection.max', pool)?.value).toBe(4);
    expect(find('db.client.connection.pending_requests', pool)?.value).toBe(0);
    expect(find('db.client.connection.timeouts', pool)?.value).toBe(0);
    expect(find('db.client.connection.wait_time', pool)).toMatchObject({ unit: 's', value: { count: 2 } });
    const kinds = Object.fromEntries(points.map((p) => [p.name, p.kind]));
    expect(kinds).toMatchObject({
      'db.client.connection.count': 'updown',
      'db.client.connection.max': 'updown',
      'db.client.connection.pending_requests': 'updown',
      'db.client.connection.timeouts': 'counter',
      'loadstone.pool.acquires': 'counter',
      'loadstone.pool.resources_min': 'gauge',
      'loadstone.pool.acquire_wait_seconds': 'gauge',
      'loadstone.pool.acquire_wait_seconds.count': 'counter',
    });
    expect(find('loadstone.pool.acquires', { pool: 'db' })?.value).toBe(2); // acquires_total
    expect(find('loadstone.pool.acquire_wait_seconds', { pool: 'db', quantile: '0.99' })).toMatchObject({
      unit: 's',
    });
    pools.release('db', held);

    const finished = spans.getFinishedSpans();
    // The instrumentation scope is loadstone at this package's version.
    const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    expect(finished[0]?.instrumentationScope).toMatchObject({ name: 'loadstone', version });
    expect(finished.map((s) => [s.name, s.kind, s.attributes['db.client.connection.pool.name']])).toEqual([
      ['acquire db', SpanKind.INTERNAL, 'db'],
      ['acquire db', SpanKind.INTERNAL, 'db'],
    ]);
  });

  it('finds a later SDK by itself once a second when nothing is traced', async () => {
    const pools = new ConnectionPoolManager();
    closing.push(pools);
    pools.register('db', { create: async () => ({}) }, { max: 2 });
    const otel = new LoadstoneInstrumentation().add('pools', pools);
    closing.push(otel);
    const { meterProvider, collect } = sdk();
    metrics.setGlobalMeterProvider(meterProvider);
    let names: string[] = [];
    for (let i = 0; i < 30 && !names.includes('db.client.connection.max'); i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      names = (await collect()).map((p) => p.name);
    }
    expect(names).toContain('db.client.connection.max');
  });

  it('traces jobs as messaging consumers: spans, process duration, consumed messages, failures', async () => {
    const { meterProvider, tracerProvider, spans, collect } = sdk();
    const otel = new LoadstoneInstrumentation({ meterProvider, tracerProvider });
    closing.push(otel);
    const queue = new JobQueue<number>({ name: 'mail' });
    const id = await queue.add(7, { attempts: 2, backoff: { baseDelayMs: 1 } });
    const worker = new JobWorker<number>({
      queue,
      handler: async (job) => {
        if (job.attempt === 1) throw Object.assign(new Error('smtp busy'), { code: 'ESMTPBUSY' });
        return job.data * 2;
      },
    });
    closing.push(worker);
    while (spans.getFinishedSpans().length < 2) await new Promise((resolve) => setTimeout(resolve, 5));
    const [failed, done] = spans.getFinishedSpans();
    expect([failed?.name, failed?.kind, failed?.status.code]).toEqual([
      'process mail',
      SpanKind.CONSUMER,
      SpanStatusCode.ERROR,
    ]);
    expect(failed?.attributes).toMatchObject({
      'messaging.system': 'loadstone',
      'messaging.operation.type': 'process',
      'messaging.destination.name': 'mail',
      'messaging.message.id': id,
      'loadstone.jobs.attempt': 1,
      'error.type': 'ESMTPBUSY', // an error's code, else its name
    });
    expect(failed?.events.map((e) => e.name)).toEqual(['exception']);
    expect([done?.status.code, done?.attributes['loadstone.jobs.attempt']]).toEqual([
      SpanStatusCode.UNSET,
      2,
    ]);
    const points = await collect();
    const durations = points.filter((p) => p.name === 'messaging.process.duration');
    expect(durations.map((p) => [p.attributes['error.type'], (p.value as { count: number }).count])).toEqual([
      ['ESMTPBUSY', 1],
      [undefined, 1],
    ]);
    expect(points.filter((p) => p.name === 'messaging.client.consumed.messages').map((p) => p.value)).toEqual(
      [1, 1],
    );
    expect(durations.map((p) => p.unit)).toEqual(['s', 's']);
    expect(durations[0]?.description).toBe('Duration of processing operation.');
    expect(points.find((p) => p.name === 'messaging.client.consumed.messages')?.description).toBe(
      'Number of messages that were delivered to the application.',
    );
    expect(points.find((p) => p.name === 'messaging.client.consumed.messages')).toMatchObject({
      unit: '{message}',
      attributes: {
        'messaging.system': 'loadstone',
        'messaging.operation.name': 'process',
        'messaging.destination.name': 'mail',
      },
    });
    // In seconds: a job of a few ms, not thousands.
    expect((durations[1]?.value as { sum: number } | undefined)?.sum).toBeLessThan(1);
  });

  it('traces cache loads without the key, and a failing loader as an error', async () => {
    const { meterProvider, tracerProvider, spans, collect } = sdk();
    const otel = new LoadstoneInstrumentation({ meterProvider, tracerProvider });
    closing.push(otel);
    const cache = new TieredCache<string>({ name: 'pages', tiers: [new MemoryTier({ maxEntries: 10 })] });
    closing.push(cache);
    otel.add('pages', cache);
    await cache.getOrSet('user:alice@example.com', () => 'hi');
    await expect(
      cache.getOrSet('boom', () => {
        throw new Error('db down');
      }),
    ).rejects.toThrow();
    const [ok, bad] = spans.getFinishedSpans();
    expect([ok?.name, ok?.attributes]).toEqual([
      'cache load pages',
      { 'loadstone.cache.name': 'pages', 'loadstone.cache.refresh': false },
    ]);
    expect(
      JSON.stringify(spans.getFinishedSpans().map((s) => [s.name, s.attributes, s.events])),
    ).not.toContain('alice');
    expect([bad?.status.code, bad?.status.message]).toEqual([SpanStatusCode.ERROR, 'Error: db down']);
    const names = (await collect()).map((p) => p.name);
    expect(names).toEqual(expect.arrayContaining(['loadstone.cache.hits', 'loadstone.cache.misses']));
  });

  it('makes no instruments once closed, even when an SDK registers afterwards', async () => {
    const pools = new ConnectionPoolManager();
    closing.push(pools);
    pools.register('db', { create: async () => ({}) });
    const otel = new LoadstoneInstrumentation().add('pools', pools);
    await otel.close();
    const { meterProvider, collect } = sdk();
    metrics.setGlobalMeterProvider(meterProvider);
    await pools.use('db', () => 1);
    await new Promise((resolve) => setTimeout(resolve, 1_100)); // past the look-up timer, had it run
    expect(await collect()).toEqual([]);
  });

  it('records the pool wait in seconds', async () => {
    const { meterProvider, collect } = sdk();
    closing.push(new LoadstoneInstrumentation({ meterProvider }));
    const pools = new ConnectionPoolManager();
    closing.push(pools);
    pools.register('db', { create: async () => ({}) });
    await pools.use('db', () => 1);
    const wait = (await collect()).find((p) => p.name === 'db.client.connection.wait_time');
    expect((wait?.value as { sum: number } | undefined)?.sum).toBeLessThan(1);
    expect(wait?.description).toBe('The time it took to obtain an open connection from the pool.');
  });

  it('traces thread tasks by pool and task name', async () => {
    const { tracerProvider, spans } = sdk();
    const otel = new LoadstoneInstrumentation({ tracerProvider });
    closing.push(otel);
    const pool = new WorkerThreadPool({ name: 'crunch', filename: TASKS, maxThreads: 1 });
    closing.push(pool);
    expect(await pool.run({ a: 2, b: 3 }, { name: 'add' })).toBe(5);
    await expect(pool.run('no', { name: 'fail' })).rejects.toThrow();
    const [ok, failed] = spans.getFinishedSpans();
    expect([ok?.name, ok?.kind, ok?.attributes]).toEqual([
      'thread task add',
      SpanKind.INTERNAL,
      { 'loadstone.threads.pool': 'crunch', 'loadstone.threads.task': 'add' },
    ]);
    expect([failed?.name, failed?.status.code]).toEqual(['thread task fail', SpanStatusCode.ERROR]);
    expect(await pool.run('hi')).toBe('hi'); // the default export: a task with no name
    expect([spans.getFinishedSpans()[2]?.name, spans.getFinishedSpans()[2]?.attributes]).toEqual([
      'thread task default',
      { 'loadstone.threads.pool': 'crunch', 'loadstone.threads.task': 'default' },
    ]);
  });

  it('makes only the spans asked for, stops at close(), and refuses bad options', async () => {
    const { meterProvider, tracerProvider, spans, collect } = sdk();
    const otel = new LoadstoneInstrumentation({ meterProvider, tracerProvider, spans: { pool: false } });
    const pools = new ConnectionPoolManager();
    closing.push(pools);
    pools.register('db', { create: async () => ({}) });
    await pools.use('db', () => 1);
    expect(spans.getFinishedSpans()).toEqual([]); // no span, yet the wait time is recorded
    expect((await collect()).map((p) => p.name)).toContain('db.client.connection.wait_time');
    await otel.close();
    expect(otel.closed).toBe(true);
    expect(() => otel.add('pools', pools)).toThrow(expect.objectContaining({ code: 'ERR_LOADSTONE_CLOSED' }));
    const again = new LoadstoneInstrumentation({ meterProvider, tracerProvider });
    await again.close();
    await pools.use('db', () => 1);
    expect(spans.getFinishedSpans()).toEqual([]);
    expectInvalidOption(
      () => new LoadstoneInstrumentation({ meterProvider: {} as never }),
      'options.meterProvider',
      'an OpenTelemetry',
    );
    expectInvalidOption(
      () => new LoadstoneInstrumentation({ tracerProvider: 1 as never }),
      'options.tracerProvider',
      'an OpenTelemetry',
    );
    expectInvalidOption(
      () => new LoadstoneInstrumentation({ spans: { http: true } as never }),
      'options.spans.http',
      '',
    );
    expectInvalidOption(
      () => new LoadstoneInstrumentation({ spans: { jobs: 'yes' as never } }),
      'options.spans.jobs',
      'a boolean',
    );
    expectInvalidOption(() => new LoadstoneInstrumentation({ meter: 1 } as never), 'options.meter', '');
    expectInvalidOption(
      () => new LoadstoneInstrumentation({ meterProvider: null as never }),
      'options.meterProvider',
      'a value',
    );
    await expect(again.close({ signal: 'soon' as never })).rejects.toMatchObject({
      code: 'ERR_LOADSTONE_INVALID_OPTION',
    });
    expect(() => again.add('x', pools)).toThrow('LoadstoneInstrumentation');
    expect(() => new LoadstoneInstrumentation({ metre: 1 } as never)).toThrow(
      'Expected `options.metre` to be absent: it is not an option of LoadstoneInstrumentation, got `1` (number)',
    );
    expect(() => new LoadstoneInstrumentation({ spans: { http: true } as never })).toThrow(
      'Expected `options.spans.http` to be absent: it is not an option of the span options, got `true` (boolean)',
    );
    expect(() => new LoadstoneInstrumentation({ spans: 2 as never })).toThrow(
      'Expected `options.spans` to be an object, got `2` (number)',
    );
    expect(() => new LoadstoneInstrumentation(3 as never)).toThrow(
      'Expected `options` to be an object, got `3` (number)',
    );
  });
});
