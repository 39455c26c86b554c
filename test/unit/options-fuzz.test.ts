// A fuzzer over the public options objects: valid options with some of their values swapped for
// hostile ones (null, NaN, ±Infinity, negatives, 2^31, 1e300, strings, arrays, nested objects,
// functions) and sometimes an unknown or `__proto__` key. Each case either works (the object is
// made, does one ordinary thing, and closes within a second) or throws (or rejects with)
// `ERR_LOADSTONE_INVALID_OPTION` naming an option of the object fuzzed. Never a hang, never an
// uncoded error.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  aggregateHealth,
  BatchProcessor,
  BoundedLoadHashPicker,
  CircuitBreaker,
  ClusterSupervisor,
  ConnectionPoolManager,
  ConsistentHashPicker,
  ConsistentHashSharder,
  HealthMonitor,
  isLoadstoneError,
  LoadBalancer,
  MemoryRateLimitStore,
  MemoryTier,
  PeakEwmaPicker,
  PriorityTaskQueue,
  PrometheusExporter,
  RateLimiter,
  retry,
  SlowDown,
  StickyRouter,
  TieredCache,
  WorkerThreadPool,
} from '../../src/index.js';
import { FakeClock } from '../../src/testing/index.js';

type Options = Record<string, unknown>;

type Target = {
  readonly name: string;
  /** Where the fuzzed object sits in the error's `option` path. */
  readonly path: string;
  /** Valid options, before any value is swapped. */
  readonly base: Options;
  /** The names whose values are swapped. */
  readonly keys: readonly string[];
  /** Makes the object (or makes the call) with the options. */
  readonly make: (options: Options) => unknown;
  /** One ordinary use of what `make` returned. */
  readonly use?: (made: never) => unknown;
};

const memory = () => new MemoryTier({ maxEntries: 100 });
const backends = [
  { id: 'a', target: 1 },
  { id: 'b', target: 2, weight: 2 },
];

const targets: readonly Target[] = [
  {
    name: 'LoadBalancer',
    path: 'options',
    base: { backends },
    keys: ['ewmaDecayMs', 'closeTimeoutMs', 'outlierDetection', 'failureAccrual', 'isFailure', 'clock'],
    make: (o) => new LoadBalancer(o as never),
    use: (lb: LoadBalancer<number>) => lb.run(async () => 1),
  },
  {
    name: 'LoadBalancer backend',
    path: 'options.backends[0]',
    base: { id: 'a', target: 1 },
    keys: ['id', 'weight', 'groups'],
    make: (o) => new LoadBalancer({ backends: [o as never], strategy: new ConsistentHashPicker() }),
    use: (lb: LoadBalancer<number>) => lb.pick({ key: 'user-1' }),
  },
  {
    name: 'LoadBalancer outlierDetection',
    path: 'options.outlierDetection',
    base: {},
    keys: ['consecutiveFailures', 'baseEjectionMs', 'maxEjectionMs', 'maxEjectionPercent'],
    make: (o) => new LoadBalancer({ backends, outlierDetection: o as never }),
    use: (lb: LoadBalancer<number>) => lb.run(async () => 1),
  },
  {
    name: 'LoadBalancer healthCheck',
    path: 'options.healthCheck',
    base: { check: () => ({ check: async () => ({ status: 'healthy' }) }) },
    keys: ['intervalMs', 'timeoutMs', 'unhealthyThreshold', 'healthyThreshold'],
    make: (o) => new LoadBalancer({ backends, healthCheck: o as never }),
  },
  {
    name: 'PeakEwmaPicker',
    path: 'options',
    base: {},
    keys: ['penaltyMs', 'random'],
    make: (o) => new LoadBalancer({ backends, strategy: new PeakEwmaPicker(o as never) }),
    use: (lb: LoadBalancer<number>) => lb.pick(),
  },
  {
    name: 'BoundedLoadHashPicker',
    path: 'options',
    base: {},
    keys: ['epsilon', 'algorithm'],
    make: (o) => new LoadBalancer({ backends, strategy: new BoundedLoadHashPicker(o as never) }),
    use: (lb: LoadBalancer<number>) => lb.pick({ key: 'k' }),
  },
  {
    name: 'ConsistentHashSharder',
    path: 'options',
    base: { nodes: ['a', { id: 'b', weight: 2 }] },
    keys: ['algorithm', 'vnodes'],
    make: (o) => new ConsistentHashSharder(o as never),
    use: (s: ConsistentHashSharder) => s.getNode('k'),
  },
  {
    name: 'ConsistentHashSharder node',
    path: 'options.nodes[0]',
    base: { id: 'a' },
    keys: ['id', 'weight'],
    make: (o) => new ConsistentHashSharder({ nodes: [o as never, 'b'] }),
    use: (s: ConsistentHashSharder) => s.getNode('k'),
  },
  {
    name: 'TieredCache',
    path: 'options',
    base: { tiers: [memory()] },
    keys: [
      'defaultTtlMs',
      'graceMs',
      'staleWhileRevalidate',
      'refreshAhead',
      'negativeTtlMs',
      'jitterRatio',
      'lockTtlMs',
      'lockWaitMs',
      'lockPollMs',
      'tierTimeoutMs',
      'tierFailureThreshold',
      'tierOpenDurationMs',
      'tagTtlMs',
      'latencySampleEvery',
      'closeTimeoutMs',
      'name',
      'channel',
    ],
    make: (o) => new TieredCache(o as never),
    use: (c: TieredCache) => c.getOrSet('k', () => 1),
  },
  {
    name: 'TieredCache.getOrSet',
    path: 'options',
    base: {},
    keys: ['ttlMs', 'graceMs', 'negativeTtlMs', 'tags', 'signal'],
    make: (o) => new TieredCache({ tiers: [memory()] }).getOrSet('k', () => 1, o as never),
  },
  {
    name: 'MemoryTier',
    path: 'options',
    base: { maxEntries: 10 },
    keys: ['maxEntries', 'maxBytes', 'sizeOf', 'shrinkRatio', 'name'],
    make: (o) => new MemoryTier(o as never),
    use: (t: MemoryTier) => t.set('k', { value: 1, expiresAt: Date.now() + 1000 } as never, 1000),
  },
  {
    name: 'RateLimiter',
    path: 'options',
    base: { limit: 5, periodMs: 1000 },
    keys: ['limit', 'periodMs', 'burst', 'algorithm', 'keyPrefix', 'storeTimeoutMs', 'onStoreError'],
    make: (o) => new RateLimiter(o as never),
    use: (l: RateLimiter) => l.limit('k'),
  },
  {
    name: 'MemoryRateLimitStore',
    path: 'options',
    base: {},
    keys: ['maxKeys'],
    make: (o) => new RateLimiter({ limit: 5, periodMs: 1000, store: new MemoryRateLimitStore(o as never) }),
    use: (l: RateLimiter) => l.limit('k'),
  },
  {
    name: 'SlowDown',
    path: 'options',
    base: { delayAfter: 1, periodMs: 1000 },
    keys: ['delayAfter', 'periodMs', 'delayStepMs', 'maxDelayMs', 'keyPrefix', 'storeTimeoutMs'],
    make: (o) => new SlowDown(o as never),
    use: (s: SlowDown) => s.check('k'),
  },
  {
    name: 'CircuitBreaker',
    path: 'options',
    base: { name: 'b', consecutiveFailures: 3 },
    keys: [
      'name',
      'failureRatio',
      'minimumCalls',
      'windowMs',
      'consecutiveFailures',
      'openDurationMs',
      'halfOpenMaxProbes',
      'timeoutMs',
    ],
    make: (o) => new CircuitBreaker(o as never),
    use: (b: CircuitBreaker) => b.execute(async () => 1),
  },
  {
    name: 'retry',
    path: 'options',
    base: { attempts: 2, baseDelayMs: 1 },
    keys: ['attempts', 'baseDelayMs', 'maxDelayMs', 'jitter'],
    make: (o) => retry(async () => 1, o as never),
  },
  {
    name: 'PriorityTaskQueue',
    path: 'options',
    base: {},
    keys: [
      'concurrency',
      'maxQueued',
      'closeTimeoutMs',
      'timeoutMs',
      'priorities',
      'defaultPriority',
      'paused',
    ],
    make: (o) => new PriorityTaskQueue(o as never),
  },
  {
    name: 'PriorityTaskQueue.add',
    path: 'options',
    base: {},
    keys: ['priority', 'timeoutMs', 'id', 'retry'],
    make: (o) => new PriorityTaskQueue().add(() => 1, o as never),
  },
  {
    name: 'BatchProcessor',
    path: 'options',
    base: { process: async (items: unknown[]) => items },
    keys: ['maxBatchSize', 'maxWaitMs', 'concurrency', 'timeoutMs', 'maxPendingItems'],
    make: (o) => new BatchProcessor(o as never),
    use: (b: BatchProcessor<unknown, unknown>) => b.add(1),
  },
  {
    name: 'ConnectionPoolManager.register',
    path: 'options',
    base: {},
    keys: [
      'min',
      'max',
      'acquireTimeoutMs',
      'createTimeoutMs',
      'idleTimeoutMs',
      'maxLifetimeMs',
      'maxWaiters',
      'closeTimeoutMs',
    ],
    make: (o) => new ConnectionPoolManager().register('p', { create: () => ({}) }, o as never),
    use: (p: { use: (fn: () => number) => Promise<number> }) => p.use(() => 1),
  },
  {
    name: 'WorkerThreadPool',
    path: 'options',
    // `minThreads` is left out: a valid one starts threads, which is not what this checks.
    base: {},
    keys: [
      'maxThreads',
      'idleTimeoutMs',
      'maxQueue',
      'taskTimeoutMs',
      'closeTimeoutMs',
      'pipelineDepth',
      'name',
    ],
    make: (o) => new WorkerThreadPool(o as never),
  },
  {
    name: 'StickyRouter',
    path: 'options',
    base: {},
    keys: [
      'maxHeadBytes',
      'headTimeoutMs',
      'maxPending',
      'pendingTimeoutMs',
      'balanceFactor',
      'maxConnectionsPerSlot',
    ],
    make: (o) => new StickyRouter(o as never),
  },
  {
    name: 'HealthMonitor',
    path: 'options',
    base: {},
    keys: ['name', 'intervalMs'],
    make: (o) => new HealthMonitor(o as never),
  },
  {
    name: 'PrometheusExporter',
    path: 'options',
    base: {},
    keys: ['prefix'],
    make: (o) => new PrometheusExporter(o as never),
  },
  {
    name: 'ClusterSupervisor',
    path: 'options',
    base: {},
    keys: [
      'port',
      'workers',
      'readyTimeoutMs',
      'shutdownTimeoutMs',
      'preStopDelayMs',
      'restartDelayMs',
      'maxRestartDelayMs',
      'maxCrashes',
      'heartbeatIntervalMs',
      'maxMemoryMb',
      'reloadConcurrency',
      'maxConnectionsPerWorker',
      'autoscale',
      'sticky',
    ],
    make: (o) => new ClusterSupervisor(o as never),
  },
  {
    name: 'aggregateHealth',
    path: 'options',
    base: {},
    keys: ['staleAfterMs', 'now'],
    make: (o) => aggregateHealth({ w1: { status: 'healthy', at: Date.now() } as never }, o as never),
  },
  {
    name: 'FakeClock',
    path: 'options',
    base: {},
    keys: ['startMs'],
    make: (o) => new FakeClock(o as never),
  },
];

const hostile = fc.constantFrom<unknown>(
  null,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  -1,
  0,
  0.5,
  1,
  3,
  2 ** 31,
  1e300,
  -1e300,
  '',
  'x',
  '1',
  true,
  [],
  ['x'],
  {},
  { nested: { deep: 1 } },
  () => 1,
);

/** Valid options with some values swapped, and now and then an unknown or `__proto__` key. */
function optionsFor(target: Target): fc.Arbitrary<Options> {
  return fc
    .record({
      swaps: fc.dictionary(fc.constantFrom(...target.keys), hostile, { maxKeys: 3 }),
      extra: fc.constantFrom('none', 'none', 'none', 'unknown', 'proto'),
    })
    .map(({ swaps, extra }) => {
      const options: Options = { ...target.base, ...swaps };
      if (extra === 'unknown') options.tiemout = 1;
      if (extra === 'proto') Object.assign(options, JSON.parse('{"__proto__": {"x": 1}}'));
      return options;
    });
}

const HUNG = Symbol('hung');

/** `value` settled, or {@link HUNG} after a second. */
async function within(value: unknown): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise((resolve) => {
    timer = setTimeout(() => resolve(HUNG), 1_000);
  });
  try {
    return await Promise.race([Promise.resolve(value), hung]);
  } finally {
    clearTimeout(timer);
  }
}

async function closeIt(made: unknown): Promise<unknown> {
  const closeable = made as { destroy?: () => unknown; close?: () => unknown } | null;
  if (typeof closeable?.destroy === 'function') return within(closeable.destroy());
  if (typeof closeable?.close === 'function') return within(closeable.close());
  return undefined;
}

/** What went wrong with one case, or `undefined` when it behaved. */
async function misbehaviour(target: Target, options: Options): Promise<string | undefined> {
  let made: unknown;
  try {
    made = target.make(options);
    if (made instanceof Promise) {
      const settled = await within(made);
      if (settled === HUNG) return 'the call did not settle within a second';
    }
  } catch (error) {
    if (!isLoadstoneError(error, 'ERR_LOADSTONE_INVALID_OPTION')) return `threw ${String(error)}`;
    const option = (error as { option: string }).option;
    if (
      option !== target.path &&
      !option.startsWith(`${target.path}.`) &&
      !option.startsWith(`${target.path}[`)
    ) {
      return `named ${option}, not an option under ${target.path}`;
    }
    return undefined;
  }
  let usage: string | undefined;
  try {
    if (target.use !== undefined && (await within(target.use(made as never))) === HUNG) {
      usage = 'its first use did not settle within a second';
    }
  } catch (error) {
    if (!isLoadstoneError(error)) usage = `its first use threw ${String(error)}`;
  }
  if ((await closeIt(made)) === HUNG) return 'it did not close within a second';
  return usage;
}

describe('options fuzzer', () => {
  it.each(targets.map((target) => [target.name, target] as const))(
    '%s: hostile values are refused by name or work, and close',
    async (_, target) => {
      await fc.assert(
        fc.asyncProperty(optionsFor(target), async (options) => {
          const wrong = await misbehaviour(target, options);
          expect(
            wrong,
            JSON.stringify(options, (_k, v) => (typeof v === 'function' ? 'fn' : v)),
          ).toBeUndefined();
        }),
        { numRuns: 300, seed: Number(process.env.LOADSTONE_FUZZ_SEED ?? 22) },
      );
    },
    60_000,
  );
});
