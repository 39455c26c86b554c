// Every public constructor, factory and per-call options object refuses a name it does not know
// (a typo must not be ignored) and `null` for one it knows (absent is the default, null is not),
// naming the option in a coded error at the call. One row per options object of the public
// surface; issue 22 found 36 of them, and 7 per-call ones, taking typos silently.
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import {
  aggregateHealth,
  BatchProcessor,
  BoundedLoadHashPicker,
  CircuitBreaker,
  ClusterBus,
  ClusterBusRelay,
  ClusterSupervisor,
  ConnectionPoolManager,
  ConsistentHashPicker,
  ConsistentHashSharder,
  HealthMonitor,
  InProcessBus,
  InvalidOptionError,
  JobQueue,
  LatencyRecorder,
  LeastConnectionsPicker,
  LoadBalancer,
  Mailbox,
  ManualLoadSignal,
  MemoryRateLimitStore,
  MemoryTier,
  PeakEwmaPicker,
  PowerOfTwoPicker,
  PriorityTaskQueue,
  ProcessSampler,
  PrometheusExporter,
  RandomPicker,
  RateLimiter,
  RedisBus,
  RedisLock,
  RedisRateLimitStore,
  RedisTier,
  rateLimitHandler,
  retry,
  ShardRouter,
  SlowDown,
  StickyRouter,
  TieredCache,
  WeightedRandomPicker,
  WorkerThreadPool,
} from '../../src/index.js';
import { FakeClock } from '../../src/testing/index.js';

/** A stand-in client: the name check runs before anything looks at it. */
const client = {} as never;
const backends = [{ id: 'a', target: 1 }];
const memory = () => new MemoryTier({ maxEntries: 10 });
const rule = { limit: 5, periodMs: 1_000 };

/** Builds the object, or calls the function, with `extra` merged into the options at `path`. */
type Row = readonly [name: string, make: (extra: object) => unknown, option: string, knownNumeric?: string];

const constructors: readonly Row[] = [
  ['LoadBalancer', (x) => new LoadBalancer({ backends, ...x }), 'options'],
  [
    'LoadBalancer backends[i]',
    (x) => new LoadBalancer({ backends: [{ id: 'a', target: 1, ...x }] }),
    'options.backends[0]',
    'weight',
  ],
  [
    'LoadBalancer outlierDetection',
    (x) => new LoadBalancer({ backends, outlierDetection: { ...x } }),
    'options.outlierDetection',
    'baseEjectionMs',
  ],
  [
    'LoadBalancer healthCheck',
    (x) =>
      new LoadBalancer({
        backends,
        healthCheck: { check: () => ({ check: async () => ({ status: 'healthy' }) }), ...x } as never,
      }),
    'options.healthCheck',
    'intervalMs',
  ],
  [
    'LoadBalancer failureAccrual',
    (x) => new LoadBalancer({ backends, failureAccrual: { ...x } }),
    'options.failureAccrual',
    'failurePenaltyMs',
  ],
  ['TieredCache', (x) => new TieredCache({ tiers: [memory()], ...x }), 'options', 'defaultTtlMs'],
  [
    'TieredCache policies[i]',
    (x) => new TieredCache({ tiers: [memory()], policies: [{ prefix: 'a', ttlMs: 1, ...x }] }),
    'options.policies[0]',
    'graceMs',
  ],
  ['MemoryTier', (x) => new MemoryTier({ maxEntries: 10, ...x }), 'options', 'maxBytes'],
  ['RedisTier', (x) => new RedisTier({ client, ...x }), 'options'],
  ['RedisBus', (x) => new RedisBus({ client, ...x }), 'options'],
  ['RedisLock', (x) => new RedisLock({ client, ...x }), 'options'],
  ['RateLimiter', (x) => new RateLimiter({ ...rule, ...x }), 'options', 'storeTimeoutMs'],
  ['MemoryRateLimitStore', (x) => new MemoryRateLimitStore({ ...x }), 'options', 'maxKeys'],
  ['RedisRateLimitStore', (x) => new RedisRateLimitStore({ client, ...x }), 'options'],
  [
    'rateLimitHandler',
    (x) => rateLimitHandler(new RateLimiter(rule), { key: () => 'k', ...x }),
    'options',
    'cost',
  ],
  ['SlowDown', (x) => new SlowDown({ delayAfter: 1, periodMs: 1_000, ...x }), 'options', 'delayStepMs'],
  [
    'CircuitBreaker',
    (x) => new CircuitBreaker({ name: 'b', consecutiveFailures: 1, ...x }),
    'options',
    'openDurationMs',
  ],
  ['PriorityTaskQueue', (x) => new PriorityTaskQueue({ ...x }), 'options', 'concurrency'],
  [
    'PriorityTaskQueue rate',
    (x) => new PriorityTaskQueue({ rate: { limit: 1, intervalMs: 1_000, ...x } }),
    'options.rate',
  ],
  [
    'PriorityTaskQueue shed',
    (x) => new PriorityTaskQueue({ shed: { ...x } }),
    'options.shed',
    'degradedConcurrency',
  ],
  ['PriorityTaskQueue retry', (x) => new PriorityTaskQueue({ retry: { ...x } }), 'options.retry', 'attempts'],
  ['BatchProcessor', (x) => new BatchProcessor({ process: async () => [], ...x }), 'options', 'maxBatchSize'],
  ['ConnectionPoolManager', (x) => new ConnectionPoolManager({ ...x }), 'options', 'closeTimeoutMs'],
  [
    'ConnectionPoolManager.register',
    (x) => new ConnectionPoolManager().register('p', { create: () => 1 }, { ...x }),
    'options',
    'max',
  ],
  ['pool factory', (x) => new ConnectionPoolManager().register('p', { create: () => 1, ...x }), 'factory'],
  ['WorkerThreadPool', (x) => new WorkerThreadPool({ ...x }), 'options', 'maxThreads'],
  ['ClusterSupervisor', (x) => new ClusterSupervisor({ ...x }), 'options', 'workers'],
  [
    'ClusterSupervisor autoscale',
    (x) => new ClusterSupervisor({ autoscale: { min: 1, max: 2, ...x } }),
    'options.autoscale',
    'intervalMs',
  ],
  ['StickyRouter', (x) => new StickyRouter({ ...x }), 'options', 'maxPending'],
  ['RandomPicker', (x) => new RandomPicker({ ...x }), 'options'],
  ['WeightedRandomPicker', (x) => new WeightedRandomPicker({ ...x }), 'options'],
  ['LeastConnectionsPicker', (x) => new LeastConnectionsPicker({ ...x }), 'options'],
  ['PowerOfTwoPicker', (x) => new PowerOfTwoPicker({ ...x }), 'options'],
  ['PeakEwmaPicker', (x) => new PeakEwmaPicker({ ...x }), 'options', 'penaltyMs'],
  ['ConsistentHashPicker', (x) => new ConsistentHashPicker({ ...x }), 'options'],
  ['BoundedLoadHashPicker', (x) => new BoundedLoadHashPicker({ ...x }), 'options', 'epsilon'],
  ['PrometheusExporter', (x) => new PrometheusExporter({ ...x }), 'options'],
  ['aggregateHealth', (x) => aggregateHealth({}, { ...x }), 'options', 'staleAfterMs'],
  ['FakeClock', (x) => new FakeClock({ ...x }), 'options', 'startMs'],
  ['HealthMonitor', (x) => new HealthMonitor({ ...x }), 'options'],
  ['ConsistentHashSharder', (x) => new ConsistentHashSharder({ ...x } as never), 'options'],
  [
    'ShardRouter',
    (x) => new ShardRouter({ sharder: new ConsistentHashSharder({ nodes: ['a'] }), strategy: String, ...x }),
    'options',
  ],
  ['ProcessSampler', (x) => new ProcessSampler({ ...x }), 'options', 'eventLoopResolutionMs'],
  ['InProcessBus', (x) => new InProcessBus({ ...x }), 'options'],
  [
    'ClusterBus',
    (x) => new ClusterBus({ relay: new ClusterBusRelay({ workers: () => [] }), ...x }),
    'options',
    'maxMessageBytes',
  ],
  ['ClusterBusRelay', (x) => new ClusterBusRelay({ workers: () => [], ...x }), 'options', 'maxMessageBytes'],
  ['LatencyRecorder', (x) => new LatencyRecorder({ ...x }), 'options', 'significantDigits'],
  ['ManualLoadSignal', (x) => new ManualLoadSignal({ ...x }), 'options'],
];

/** Per-call options: each returns the call's result or promise, so a rejection counts too. */
const calls: readonly Row[] = [
  ['PriorityTaskQueue.add', (x) => new PriorityTaskQueue().add(() => 1, { ...x }), 'options', 'timeoutMs'],
  [
    'TieredCache.getOrSet',
    (x) => new TieredCache({ tiers: [memory()] }).getOrSet('k', () => 1, { ...x }),
    'options',
    'ttlMs',
  ],
  [
    'TieredCache.set',
    (x) => new TieredCache({ tiers: [memory()] }).set('k', 1, { ...x }),
    'options',
    'ttlMs',
  ],
  ['RateLimiter.limit', (x) => new RateLimiter(rule).limit('k', { ...x }), 'options', 'cost'],
  ['LoadBalancer.pick', (x) => new LoadBalancer({ backends }).pick({ ...x }), 'ctx'],
  ['LoadBalancer.run', (x) => new LoadBalancer({ backends }).run(() => 1, { ...x }), 'options'],
  [
    'ConnectionPool.acquire',
    (x) => new ConnectionPoolManager().register('p', { create: () => 1 }).acquire({ ...x }),
    'options',
    'timeoutMs',
  ],
  ['WorkerThreadPool.run', (x) => new WorkerThreadPool().run(1, { ...x }), 'options', 'priority'],
  ['retry', (x) => retry(() => 1, { ...x }), 'options', 'attempts'],
  [
    'HealthMonitor.loadShedding',
    (x) => new HealthMonitor().loadShedding({ ...x }),
    'options',
    'retryAfterSeconds',
  ],
  ['PriorityTaskQueue.close', (x) => new PriorityTaskQueue().close({ ...x }), 'options'],
  ['PriorityTaskQueue.onIdle', (x) => new PriorityTaskQueue().onIdle({ ...x }), 'options'],
  ['PriorityTaskQueue.onEmpty', (x) => new PriorityTaskQueue().onEmpty({ ...x }), 'options'],
  ['PriorityTaskQueue.onSizeLessThan', (x) => new PriorityTaskQueue().onSizeLessThan(1, { ...x }), 'options'],
  ['JobQueue.getJob', (x) => new JobQueue({ name: 'q' }).getJob('1', { ...x }), 'options'],
  ['JobQueue.retryDead', (x) => new JobQueue({ name: 'q' }).retryDead({ ...x }), 'options', 'limit'],
  [
    'SlowDown.wait',
    (x) => new SlowDown({ delayAfter: 1, periodMs: 1_000 }).wait('k', { ...x }),
    'options',
    'cost',
  ],
  ['HealthMonitor.readinessHandler', (x) => new HealthMonitor().readinessHandler({ ...x }), 'options'],
  [
    'Mailbox.read',
    (x) => new Mailbox({ client: new Redis({ lazyConnect: true }) }).read('r', { ...x }),
    'options',
    'limit',
  ],
];

/** The error `make(extra)` threw or rejected with (and `undefined` when it did neither). */
async function failureOf(make: (extra: object) => unknown, extra: object): Promise<unknown> {
  try {
    const result = make(extra);
    if (result instanceof Promise) await result;
  } catch (error) {
    return error;
  }
  return undefined;
}

describe.each([
  ['constructors and factories', constructors],
  ['per-call options', calls],
] as const)('%s', (_, rows) => {
  it.each(rows)('%s refuses an unknown option name', async (...args: unknown[]) => {
    const [, make, option] = args as unknown as Row;
    const error = await failureOf(make, { tiemoutMs: 5 });
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect(error).toMatchObject({ code: 'ERR_LOADSTONE_INVALID_OPTION', option: `${option}.tiemoutMs` });
  });

  it.each(rows.filter((row) => row[3] !== undefined))(
    '%s refuses null for a number it knows',
    async (...args: unknown[]) => {
      const [, make, option, knownNumeric] = args as unknown as Row;
      const error = await failureOf(make, { [knownNumeric as string]: null });
      expect(error).toMatchObject({
        code: 'ERR_LOADSTONE_INVALID_OPTION',
        option: `${option}.${knownNumeric}`,
        received: null,
      });
    },
  );
});
