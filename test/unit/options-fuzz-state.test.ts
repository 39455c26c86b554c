// The options fuzzer (test/helpers/optionsFuzz.ts) over the jobs, presence, cluster-state,
// capacity, shedding and rate-limit handler options, the buses', and the Fastify plugin's.
import Fastify from 'fastify';
import { afterAll, describe } from 'vitest';
import loadstone from '../../src/fastify/index.js';
import {
  ClusterBus,
  ClusterBusBridge,
  ClusterBusRelay,
  ClusterLock,
  ClusterPoolBudget,
  ClusterRateLimitStore,
  ClusterStateHost,
  ConsistentHashSharder,
  estimateQueue,
  HealthMonitor,
  InProcessBus,
  JobQueue,
  JobWorker,
  LatencyRecorder,
  ManualLoadSignal,
  Presence,
  ProcessSampler,
  planCapacity,
  RateLimiter,
  rateLimitHandler,
  ShardRouter,
} from '../../src/index.js';
import { fuzzTargets, type Target } from '../helpers/optionsFuzz.js';

const monitor = new HealthMonitor();
const queue = new JobQueue({ name: 'fuzz' });
afterAll(async () => {
  await monitor.close();
  await queue.close();
});

const targets: readonly Target[] = [
  {
    name: 'JobQueue',
    path: 'options',
    base: { name: 'q' },
    keys: [
      'name',
      'partitions',
      'priorities',
      'defaultPriority',
      'agingIntervalMs',
      'attempts',
      'backoff',
      'keepCompleted',
    ],
    make: (o) => new JobQueue(o as never),
    use: (q: JobQueue) => q.add(1),
  },
  {
    name: 'JobQueue.add',
    path: 'options',
    base: {},
    keys: ['id', 'priority', 'delayMs', 'attempts', 'backoff'],
    make: (o) => queue.add(1, o as never),
  },
  {
    name: 'JobWorker',
    path: 'options',
    base: { queue, handler: async () => 1 },
    keys: [
      'concurrency',
      'visibilityTimeoutMs',
      'timeoutMs',
      'pollIntervalMs',
      'loadSignal',
      'rate',
      'closeTimeoutMs',
      'sweepLimit',
    ],
    make: (o) => new JobWorker(o as never),
  },
  {
    name: 'JobWorker rate',
    path: 'options.rate',
    base: { limiter: new RateLimiter({ limit: 10, periodMs: 1_000 }) },
    keys: ['limiter', 'key'],
    make: (o) => new JobWorker({ queue, handler: async () => 1, rate: o as never }),
  },
  {
    name: 'Presence',
    path: 'options',
    base: { bus: new InProcessBus() },
    keys: ['bus', 'channel', 'heartbeatMs', 'ttlMs', 'maxEntries', 'clock'],
    make: (o) => new Presence(o as never),
    use: (p: Presence) => p.join('user-1', { room: 'a' }),
  },
  {
    name: 'ClusterStateHost',
    path: 'options',
    base: {},
    keys: ['shares'],
    make: (o) => new ClusterStateHost(o as never),
  },
  {
    name: 'ClusterLock',
    path: 'options',
    base: { host: new ClusterStateHost() },
    keys: ['host'],
    make: (o) => new ClusterLock(o as never),
    use: (l: ClusterLock) => l.acquire('k', 1_000),
  },
  {
    name: 'ClusterRateLimitStore',
    path: 'options',
    base: { host: new ClusterStateHost() },
    keys: ['host'],
    make: (o) => new RateLimiter({ limit: 5, periodMs: 1_000, store: new ClusterRateLimitStore(o as never) }),
    use: (l: RateLimiter) => l.limit('k'),
  },
  {
    name: 'ClusterPoolBudget',
    path: 'options',
    base: { name: 'db', max: 2, host: new ClusterStateHost() },
    keys: ['name', 'max', 'host'],
    make: (o) => new ClusterPoolBudget(o as never),
  },
  {
    name: 'ClusterBusRelay',
    path: 'options',
    base: { workers: () => [] },
    keys: ['workers', 'maxMessageBytes'],
    make: (o) => new ClusterBusRelay(o as never),
  },
  {
    name: 'ClusterBus',
    path: 'options',
    base: { relay: new ClusterBusRelay({ workers: () => [] }) },
    keys: ['relay', 'maxMessageBytes', 'onHandlerError'],
    make: (o) => new ClusterBus(o as never),
    use: (b: ClusterBus) => b.publish('c', { n: 1 }),
  },
  {
    name: 'ClusterBusBridge',
    path: 'options',
    base: {},
    keys: ['relay', 'remote', 'channel'],
    // A bridge closes its remote bus: a fresh one per case.
    make: (o) =>
      new ClusterBusBridge({
        relay: new ClusterBusRelay({ workers: () => [] }),
        remote: new InProcessBus(),
        ...o,
      } as never),
  },
  {
    name: 'InProcessBus',
    path: 'options',
    base: {},
    keys: ['onHandlerError'],
    make: (o) => new InProcessBus(o as never),
    use: (b: InProcessBus) => b.publish('c', 1),
  },
  {
    name: 'estimateQueue',
    path: 'options',
    base: { arrivalRatePerSec: 10, serviceTimeMs: 50, servers: 2 },
    keys: ['arrivalRatePerSec', 'serviceTimeMs', 'servers'],
    make: (o) => estimateQueue(o as never),
  },
  {
    name: 'planCapacity',
    path: 'options',
    base: { arrivalRatePerSec: 10, serviceTimeMs: 50, targetUtilization: 0.7 },
    keys: [
      'arrivalRatePerSec',
      'serviceTimeMs',
      'targetUtilization',
      'maxMeanQueueDelayMs',
      'maxP99QueueDelayMs',
    ],
    make: (o) => planCapacity(o as never),
  },
  {
    name: 'HealthMonitor.loadShedding',
    path: 'options',
    base: {},
    keys: ['allow', 'healthPaths', 'retryAfterSeconds', 'shedFrom', 'priority'],
    make: (o) => monitor.loadShedding(o as never),
  },
  {
    name: 'loadShedding priority',
    path: 'options.priority',
    base: { classify: () => 'low' },
    keys: ['levels', 'classify', 'shedWhenDegraded'],
    make: (o) => monitor.loadShedding({ priority: o as never }),
  },
  {
    name: 'rateLimitHandler',
    path: 'options',
    base: { key: () => 'k' },
    keys: ['key', 'cost'],
    make: (o) => rateLimitHandler(new RateLimiter({ limit: 5, periodMs: 1_000 }), o as never),
  },
  {
    name: 'ShardRouter',
    path: 'options',
    base: { sharder: new ConsistentHashSharder({ nodes: ['a', 'b'] }), strategy: String },
    keys: ['sharder', 'strategy', 'pins'],
    make: (o) => new ShardRouter(o as never),
    use: (r: ShardRouter<string>) => r.route('user-1'),
  },
  {
    name: 'ProcessSampler',
    path: 'options',
    base: {},
    keys: ['eventLoopResolutionMs'],
    make: (o) => new ProcessSampler(o as never),
    use: (s: ProcessSampler) => {
      s.sample();
      s[Symbol.dispose]();
    },
  },
  {
    name: 'LatencyRecorder',
    path: 'options',
    base: {},
    keys: ['highestTrackableMs', 'significantDigits'],
    make: (o) => new LatencyRecorder(o as never),
    use: (r: LatencyRecorder) => r.record(12),
  },
  {
    name: 'the Fastify plugin',
    path: 'options',
    base: {},
    keys: ['monitor', 'routes', 'readiness', 'shedding', 'rateLimit', 'decorate'],
    // Registered and ready, or refused by `register`; closed either way.
    make: (o) => {
      const app = Fastify();
      return app.register(loadstone, o as never).then(
        () => app,
        async (error: unknown) => {
          await app.close();
          throw error;
        },
      );
    },
    use: (app: ReturnType<typeof Fastify>) => app.inject({ url: '/ready' }),
  },
  {
    name: 'ManualLoadSignal',
    path: 'options',
    base: {},
    keys: ['initialStatus', 'clock'],
    make: (o) => new ManualLoadSignal(o as never),
  },
];

describe('options fuzzer: jobs, presence, cluster state, capacity, shedding, buses', () => {
  fuzzTargets(targets);
});
