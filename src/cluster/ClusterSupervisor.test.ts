import { createServer } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { expectInvalidOption } from '../../test/helpers/expectInvalidOption.js';
import { InProcessBus } from '../core/InProcessBus.js';
import { ClusterSupervisor } from './ClusterSupervisor.js';
import { isLoadstoneMessage, isMetricFamilies, METRICS_LIMITS } from './protocol.js';
import { resolveClusterOptions } from './resolveClusterOptions.js';
import { supervise } from './supervise.js';

// Examples for the TSDoc: type-checked here, run for real by test/integration/cluster-supervisor.test.ts.
// biome-ignore lint/correctness/noUnusedVariables: an example, type-checked only
function superviseExample(): void {
  // #region supervise
  // server.ts: the same file runs as the primary and as every worker.
  const result = supervise(
    (ctx) => {
      const server = createServer((_req, res) => res.end(`hello from ${ctx.slot}`));
      ctx.register({ close: async () => console.log('closing the database pool') });
      return server;
    },
    { port: 3000, workers: 'auto', shutdownTimeoutMs: 20_000 },
  );
  if (result.role === 'primary') {
    result.on('worker:exited', (e) => console.log(`worker ${e.pid} exited (expected: ${e.expected})`));
  }
  // #endregion supervise
}

// biome-ignore lint/correctness/noUnusedVariables: an example, type-checked only
async function supervisorExample(): Promise<void> {
  // #region supervisor
  // In the primary only (workers run the same file and call supervise()).
  const supervisor = new ClusterSupervisor({
    port: 3000,
    workers: 4,
    maxMemoryMb: 512,
    heartbeatTimeoutMs: 5000,
    handleSignals: false, // handle SIGTERM yourself
  });
  supervisor.on('crashloop:detected', (e) => console.error('crash loop', e.cause));
  supervisor.on('worker:retired', (e) => console.log(`worker ${e.pid} lingered ${e.lingerMs} ms`));
  await supervisor.start();
  console.log(supervisor.stats().workers.map((w) => `${w.pid}: ${w.requestsInFlight} in flight`));
  await supervisor.reload(); // zero-downtime rolling restart
  process.once('SIGTERM', () => void supervisor.stop());
  // #endregion supervisor
}

describe('ClusterSupervisor options', () => {
  const saved = process.env.LOADSTONE_WORKERS;
  afterEach(() => {
    if (saved === undefined) delete process.env.LOADSTONE_WORKERS;
    else process.env.LOADSTONE_WORKERS = saved;
  });

  it('resolves defaults', () => {
    delete process.env.LOADSTONE_WORKERS;
    const o = resolveClusterOptions({});
    expect(o.workers).toBeGreaterThanOrEqual(1);
    expect(o).toMatchObject({
      port: 0,
      shutdownTimeoutMs: 10_000,
      preStopDelayMs: 0,
      drainKeepAliveTimeoutMs: 1000,
      restartDelayMs: 500,
      maxRestartDelayMs: 15_000,
      maxCrashes: 10,
      heartbeatIntervalMs: 1000,
      heartbeatTimeoutMs: 10_000,
      maxMemoryMb: 0,
      memoryMetric: 'rss',
      reloadConcurrency: 1,
      handleSignals: true,
      sticky: undefined,
    });
    expect(Object.isFrozen(o)).toBe(true);
  });

  it('reads LOADSTONE_WORKERS when workers is auto, clamps to autoscale bounds', () => {
    process.env.LOADSTONE_WORKERS = '3';
    expect(resolveClusterOptions({}).workers).toBe(3);
    expect(resolveClusterOptions({ workers: 'auto' }).workers).toBe(3);
    expect(resolveClusterOptions({ workers: 5 }).workers).toBe(5);
    expect(resolveClusterOptions({ autoscale: { min: 4, max: 6 } }).workers).toBe(4);
    process.env.LOADSTONE_WORKERS = 'many';
    expectInvalidOption(() => resolveClusterOptions({}), 'LOADSTONE_WORKERS', 'an integer >= 1');
  });

  it('resolves sticky keys', () => {
    expect(resolveClusterOptions({ sticky: true }).sticky).toEqual({ key: 'address' });
    expect(resolveClusterOptions({ sticky: { key: { header: 'x-user' } } }).sticky).toEqual({
      key: { header: 'x-user' },
    });
    expect(resolveClusterOptions({ sticky: false }).sticky).toBeUndefined();
    expect(
      resolveClusterOptions({ sticky: { trustedProxies: ['10.0.0.0/8'], proxyProtocol: true } }).sticky,
    ).toEqual({ key: 'address', trustedProxies: ['10.0.0.0/8'], proxyProtocol: true });
    expect(() => resolveClusterOptions({ sticky: { keys: 'address' } as never })).toThrow(/keys/);
  });

  it.each([
    [{ workers: 0 }, 'options.workers', 'an integer >= 1'],
    [{ port: 70_000 }, 'options.port', 'an integer from 0 to 65535'],
    [{ host: '' }, 'options.host', 'a non-empty string'],
    [{ ready: 1 }, 'options.ready', 'a function'],
    [{ shutdownTimeoutMs: 0 }, 'options.shutdownTimeoutMs', 'an integer from 1'],
    [{ preStopDelayMs: -1 }, 'options.preStopDelayMs', 'an integer from 0'],
    [{ drainKeepAliveTimeoutMs: 0 }, 'options.drainKeepAliveTimeoutMs', 'an integer from 1'],
    [{ restartDelayMs: 1.5 }, 'options.restartDelayMs', 'an integer'],
    [{ restartDelayMs: 100, maxRestartDelayMs: 50 }, 'options.maxRestartDelayMs', 'an integer from 100'],
    [{ maxCrashes: 0 }, 'options.maxCrashes', 'an integer >= 1'],
    [{ heartbeatIntervalMs: 5 }, 'options.heartbeatIntervalMs', 'an integer from 10'],
    [
      { heartbeatIntervalMs: 1000, heartbeatTimeoutMs: 500 },
      'options.heartbeatTimeoutMs',
      '0 or an integer above',
    ],
    [{ maxMemoryMb: -1 }, 'options.maxMemoryMb', 'a finite number >= 0'],
    [{ memoryMetric: 'vsz' }, 'options.memoryMetric', 'one of'],
    [{ reloadConcurrency: 0 }, 'options.reloadConcurrency', 'an integer >= 1'],
    [{ handleSignals: 'yes' }, 'options.handleSignals', 'a boolean'],
    [{ sticky: { key: 'ip' } }, 'options.sticky.key', "'address'"],
    [{ sticky: { key: { header: '' } } }, 'options.sticky.key.header', 'a non-empty string'],
    [{ sticky: { trustedProxies: ['proxy.local'] } }, 'options.sticky.trustedProxies[0]', 'an IP address'],
    [{ sticky: { proxyProtocol: true } }, 'options.sticky.proxyProtocol', 'false unless'],
    [{ autoscale: { min: 0, max: 2 } }, 'options.autoscale.min', 'an integer >= 1'],
    [{ autoscale: { min: 3, max: 2 } }, 'options.autoscale.max', 'an integer >= 3'],
    [
      { autoscale: { min: 1, max: 2, scaleUpUtilization: 0.5, scaleDownUtilization: 0.6 } },
      'options.autoscale.scaleDownUtilization',
      'a number below',
    ],
    [{ autoscale: { min: 1, max: 2, target: 3 as never } }, 'options.autoscale.target', 'a function'],
    [{ metrics: { port: -1 } }, 'options.metrics.port', 'an integer from 0'],
    [{ metrics: { port: 0, registry: {} } }, 'options.metrics.registry', 'an object with metrics()'],
    [
      { metrics: { port: 0, registry: { metrics: async () => '', contentType: '' } } },
      'options.metrics.registry',
      'an object with metrics()',
    ],
    [{ metrics: { port: 0, token: 'short' } }, 'options.metrics.token', 'at least 16 visible'],
    [
      { metrics: { port: 0, token: 'has spaces in the middle of it' } },
      'options.metrics.token',
      'at least 16',
    ],
    [{ metrics: { port: 0, tokn: 'x' } }, 'options.metrics.tokn', 'absent'],
    [{ history: { capacity: 1 } }, 'options.history.capacity', 'an integer from 2'],
    [{ history: { size: 10 } }, 'options.history.size', 'absent'],
    [{ history: true }, 'options.history', 'an object'],
    [{ env: { A: 1 } }, 'options.env.A', 'a string'],
    [{ execArgv: '--inspect' }, 'options.execArgv', 'an array of Node options'],
    [
      { execArgv: ['--max-old-space-size=64', 'app.js'] },
      'options.execArgv[1]',
      'a Node option starting with',
    ],
    [{ maxConnectionsPerWorker: 0 }, 'options.maxConnectionsPerWorker', 'an integer'],
    [{ maxConnectionsPerWorker: 2.5 }, 'options.maxConnectionsPerWorker', 'an integer'],
    ['nope', 'options', 'an object'],
  ])('rejects %j', (options, option, expected) => {
    expectInvalidOption(() => new ClusterSupervisor(options as never), option, expected);
  });

  it('supervise() rejects a factory that is not a function', () => {
    expectInvalidOption(() => supervise('server' as never), 'factory', 'a function');
  });

  it('starts idle and reports empty stats before start()', () => {
    const s = new ClusterSupervisor({ workers: 2, handleSignals: false });
    expect(s.state).toBe('idle');
    expect(s.role).toBe('primary');
    expect(s.stats()).toMatchObject({ state: 'idle', workers: [], restarts: 0, droppedMessages: 0 });
    expect(s.port).toBeUndefined();
    expect(s.closed).toBe(false);
    expect(s.health()).toBeUndefined();
  });

  it('reports critical as a health check before start and rejects start() after stop()', async () => {
    const s = new ClusterSupervisor({ workers: 2, handleSignals: false });
    expect(await s.check()).toMatchObject({ status: 'critical', details: { ready: 0, desired: 0 } });
    await s.close();
    expect(s.closed).toBe(true);
    expect(s.state).toBe('stopped');
    await expect(s.start()).rejects.toMatchObject({ code: 'ERR_LOADSTONE_CLOSED' });
    await expect(s.reload()).rejects.toMatchObject({ code: 'ERR_LOADSTONE_CLOSED' });
  });

  it('closes its bus bridges (and their remote buses) on stop, and refuses a new one after', async () => {
    const s = new ClusterSupervisor({ workers: 1, handleSignals: false });
    const remote = new InProcessBus();
    const bridge = s.bridgeBus(remote, { channel: 'machines' });
    expectInvalidOption(() => s.bridgeBus(remote, { channel: '' }), 'options.channel', 'a non-empty');
    await s.stop();
    expect(bridge.closed).toBe(true);
    expect(remote.closed).toBe(true);
    expect(() => s.bridgeBus(new InProcessBus())).toThrow(
      expect.objectContaining({ code: 'ERR_LOADSTONE_CLOSED' }),
    );
  });
});

describe('isLoadstoneMessage', () => {
  it('checks the envelope only', () => {
    expect(isLoadstoneMessage({ loadstone: 1, type: 'bus:publish' })).toBe(true);
    expect(isLoadstoneMessage({ loadstone: 2, type: 'bus:publish' })).toBe(false);
    expect(isLoadstoneMessage({ loadstone: 1, type: '' })).toBe(false);
    expect(isLoadstoneMessage({ loadstone: 1 })).toBe(false);
    expect(isLoadstoneMessage([1])).toBe(false);
    expect(isLoadstoneMessage(null)).toBe(false);
    expect(isLoadstoneMessage('worker:ready')).toBe(false);
  });
});

describe('isMetricFamilies (the metrics a worker attaches to heartbeats)', () => {
  const family = (overrides: Record<string, unknown> = {}, sample: Record<string, unknown> = {}) => ({
    name: 'loadstone_pool_acquires_total',
    help: 'Acquires served.',
    type: 'counter',
    values: [{ value: 1, labels: { name: 'db' }, ...sample }],
    ...overrides,
  });

  it('accepts what PrometheusExporter.collect() produces', () => {
    expect(isMetricFamilies([])).toBe(true);
    expect(isMetricFamilies([family()])).toBe(true);
    expect(
      isMetricFamilies([family({ type: 'summary' }, { metricName: 'loadstone_pool_acquires_total_sum' })]),
    ).toBe(true);
  });

  it.each([
    ['not an array', { families: [] }],
    ['a bad metric name', [family({ name: 'not a name' })]],
    ['an unknown type', [family({ type: 'counterish' })]],
    ['help that is not a string', [family({ help: 1 })]],
    ['values that are not an array', [family({ values: 'x' })]],
    ['a value that is not finite (JSON turns NaN into null)', [family({}, { value: null })]],
    ['a label value that is not a string', [family({}, { labels: { name: 1 } })]],
    ['a bad label name', [family({}, { labels: { 'a-b': 'x' } })]],
    ['a metricName of another family', [family({}, { metricName: 'other_sum' })]],
    ['too many families', Array.from({ length: METRICS_LIMITS.families + 1 }, () => family())],
  ])('rejects %s', (_, value) => {
    expect(isMetricFamilies(value)).toBe(false);
  });
});
