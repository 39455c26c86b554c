// A ClusterSupervisor's options (internal): validated and resolved once into a frozen form.
import { availableParallelism } from 'node:os';
import { InvalidOptionError } from '../core/errors/InvalidOptionError.js';
import {
  checkOptionKeys,
  functionOption,
  integerOption,
  MAX_TIMER_MS,
  nonEmptyStringOption,
  numberOption,
  oneOfOption,
  optionNames,
  optionsObject,
} from '../core/internal/validate.js';
import { autoscaleOption, type ResolvedAutoscaleOptions } from './AutoscaleOptions.js';
import type {
  ClusterHistoryOptions,
  ClusterSupervisorOptions,
  MemoryMetric,
  MetricsEndpointOptions,
  StickyOptions,
} from './ClusterSupervisorOptions.js';
import { resolveStickyRouterOptions } from './sticky/StickyRouterOptions.js';
import { envOption, execArgvOption } from './workerProcessOptions.js';

/** {@link ClusterSupervisorOptions} with defaults applied. @internal */
export type ResolvedClusterSupervisorOptions = {
  readonly port: number;
  readonly host: string | undefined;
  readonly workers: number;
  readonly ready: (() => unknown) | undefined;
  readonly readyTimeoutMs: number;
  readonly shutdownTimeoutMs: number;
  readonly preStopDelayMs: number;
  readonly drainKeepAliveTimeoutMs: number;
  readonly restartDelayMs: number;
  readonly maxRestartDelayMs: number;
  readonly maxCrashes: number;
  readonly crashLoopWindowMs: number;
  readonly heartbeatIntervalMs: number;
  readonly heartbeatTimeoutMs: number;
  readonly maxMemoryMb: number;
  readonly memoryMetric: MemoryMetric;
  readonly reloadConcurrency: number;
  readonly handleSignals: boolean;
  readonly sticky: StickyOptions | undefined;
  readonly autoscale: ResolvedAutoscaleOptions | undefined;
  readonly metrics:
    | {
        readonly port: number;
        readonly host: string;
        readonly token: string | undefined;
        readonly registry: MetricsEndpointOptions['registry'];
      }
    | undefined;
  readonly history: { readonly capacity: number } | undefined;
  readonly env: Readonly<Record<string, string>>;
  readonly execArgv: readonly string[];
  readonly maxConnectionsPerWorker: number | undefined;
};

function workerCount(value: unknown): number {
  if (value !== undefined && value !== 'auto') return integerOption('options.workers', value, 1);
  const fromEnv = process.env.LOADSTONE_WORKERS;
  if (fromEnv !== undefined && fromEnv !== '' && fromEnv !== 'auto') {
    const parsed = Number(fromEnv);
    if (!Number.isInteger(parsed) || parsed < 1) {
      throw new InvalidOptionError('LOADSTONE_WORKERS', 'an integer >= 1 or "auto"', fromEnv);
    }
    return parsed;
  }
  return availableParallelism();
}

function stickyOption(value: unknown): ResolvedClusterSupervisorOptions['sticky'] {
  if (value === undefined || value === false) return undefined;
  if (value === true) return Object.freeze({ key: 'address' as const });
  const o = optionsObject<StickyOptions>('options.sticky', value as StickyOptions);
  checkOptionKeys(o, STICKY_OPTIONS, 'sticky', {}, 'options.sticky');
  // The router checks them the same way; checked here so a bad option fails at construction.
  const { key, trusted, balanceFactor } = resolveStickyRouterOptions(
    {
      key: o.key,
      trustedProxies: o.trustedProxies,
      proxyProtocol: o.proxyProtocol,
      balanceFactor: o.balanceFactor,
    },
    'options.sticky',
  );
  return Object.freeze({
    key:
      key.kind === 'address'
        ? 'address'
        : key.kind === 'header'
          ? { header: key.name }
          : { cookie: key.name },
    ...(trusted === undefined ? {} : { trustedProxies: [...(o.trustedProxies ?? [])] }),
    ...(o.proxyProtocol === true ? { proxyProtocol: true } : {}),
    ...(balanceFactor === undefined ? {} : { balanceFactor }),
  });
}

const STICKY_OPTIONS = optionNames<StickyOptions>()([
  'key',
  'trustedProxies',
  'proxyProtocol',
  'balanceFactor',
]);

function metricsOption(
  value: MetricsEndpointOptions | undefined,
): ResolvedClusterSupervisorOptions['metrics'] {
  if (value === undefined) return undefined;
  const o = optionsObject<MetricsEndpointOptions>(
    'options.metrics',
    value,
  ) as Partial<MetricsEndpointOptions>;
  checkOptionKeys(o, METRICS_OPTIONS, 'metrics', {}, 'options.metrics');
  return Object.freeze({
    port: integerOption('options.metrics.port', o.port, 0, 65_535),
    host: o.host === undefined ? '127.0.0.1' : nonEmptyStringOption('options.metrics.host', o.host),
    token: o.token === undefined ? undefined : tokenOption(o.token),
    registry: registryOption(o.registry),
  });
}

/** A bearer token: visible ASCII without spaces, at least 16 characters (a guessable one protects nothing). */
function tokenOption(value: unknown): string {
  if (typeof value !== 'string' || !/^[\x21-\x7e]{16,}$/.test(value)) {
    throw new InvalidOptionError(
      'options.metrics.token',
      'at least 16 visible ASCII characters, no spaces',
      '(hidden)',
    );
  }
  return value;
}

function historyOption(value: unknown): ResolvedClusterSupervisorOptions['history'] {
  if (value === false) return undefined;
  const o = optionsObject('options.history', value as ClusterHistoryOptions | undefined);
  checkOptionKeys(o, HISTORY_OPTIONS, 'history', {}, 'options.history');
  return { capacity: integerOption('options.history.capacity', o.capacity ?? 1_800, 2, 1_000_000) };
}

const HISTORY_OPTIONS = optionNames<ClusterHistoryOptions>()(['capacity']);
const METRICS_OPTIONS = optionNames<MetricsEndpointOptions>()(['port', 'host', 'token', 'registry']);

function registryOption(value: unknown): MetricsEndpointOptions['registry'] {
  if (value === undefined) return undefined;
  const r = value as { contentType?: unknown; metrics?: unknown } | null;
  if (
    typeof r !== 'object' ||
    r === null ||
    typeof r.metrics !== 'function' ||
    typeof r.contentType !== 'string' ||
    r.contentType === ''
  ) {
    throw new InvalidOptionError(
      'options.metrics.registry',
      'an object with metrics() and a string contentType (a prom-client Registry)',
      value,
    );
  }
  return value as MetricsEndpointOptions['registry'];
}

const OPTIONS = optionNames<ClusterSupervisorOptions>()([
  'port',
  'host',
  'workers',
  'ready',
  'readyTimeoutMs',
  'shutdownTimeoutMs',
  'preStopDelayMs',
  'drainKeepAliveTimeoutMs',
  'restartDelayMs',
  'maxRestartDelayMs',
  'maxCrashes',
  'crashLoopWindowMs',
  'heartbeatIntervalMs',
  'heartbeatTimeoutMs',
  'maxMemoryMb',
  'memoryMetric',
  'reloadConcurrency',
  'handleSignals',
  'sticky',
  'autoscale',
  'metrics',
  'history',
  'env',
  'execArgv',
  'maxConnectionsPerWorker',
]);

/** Validates and freezes the options; throws {@link InvalidOptionError}. @internal */
export function resolveClusterOptions(
  options: ClusterSupervisorOptions | undefined,
): ResolvedClusterSupervisorOptions {
  const o = optionsObject('options', options) as ClusterSupervisorOptions;
  checkOptionKeys(o, OPTIONS, 'ClusterSupervisor');
  const ms = (name: keyof ClusterSupervisorOptions, fallback: number, min = 0): number =>
    integerOption(`options.${name}`, o[name] ?? fallback, min, MAX_TIMER_MS);
  const autoscale = autoscaleOption(o.autoscale);
  let workers = workerCount(o.workers);
  if (autoscale) workers = Math.min(autoscale.max, Math.max(autoscale.min, workers));
  const restartDelayMs = ms('restartDelayMs', 500);
  const heartbeatIntervalMs = ms('heartbeatIntervalMs', 1000, 10);
  const heartbeatTimeoutMs = ms('heartbeatTimeoutMs', 10_000);
  if (heartbeatTimeoutMs !== 0 && heartbeatTimeoutMs <= heartbeatIntervalMs) {
    throw new InvalidOptionError(
      'options.heartbeatTimeoutMs',
      `0 or an integer above heartbeatIntervalMs (${heartbeatIntervalMs})`,
      heartbeatTimeoutMs,
    );
  }
  return Object.freeze({
    port: integerOption('options.port', o.port ?? 0, 0, 65_535),
    host: o.host === undefined ? undefined : nonEmptyStringOption('options.host', o.host),
    workers,
    ready: o.ready === undefined ? undefined : functionOption<() => unknown>('options.ready', o.ready),
    readyTimeoutMs: ms('readyTimeoutMs', 30_000, 1),
    shutdownTimeoutMs: ms('shutdownTimeoutMs', 10_000, 1),
    preStopDelayMs: ms('preStopDelayMs', 0),
    drainKeepAliveTimeoutMs: ms('drainKeepAliveTimeoutMs', 1000, 1),
    restartDelayMs,
    maxRestartDelayMs: ms('maxRestartDelayMs', Math.max(15_000, restartDelayMs), restartDelayMs),
    maxCrashes: integerOption('options.maxCrashes', o.maxCrashes ?? 10, 1),
    crashLoopWindowMs: ms('crashLoopWindowMs', 60_000, 1),
    heartbeatIntervalMs,
    heartbeatTimeoutMs,
    maxMemoryMb: numberOption('options.maxMemoryMb', o.maxMemoryMb ?? 0, 0),
    memoryMetric: oneOfOption('options.memoryMetric', o.memoryMetric ?? 'rss', ['rss', 'heapUsed']),
    reloadConcurrency: integerOption('options.reloadConcurrency', o.reloadConcurrency ?? 1, 1),
    handleSignals:
      o.handleSignals === undefined
        ? true
        : typeof o.handleSignals === 'boolean'
          ? o.handleSignals
          : (() => {
              throw new InvalidOptionError('options.handleSignals', 'a boolean', o.handleSignals);
            })(),
    sticky: stickyOption(o.sticky),
    autoscale,
    metrics: metricsOption(o.metrics),
    history: historyOption(o.history),
    env: envOption(o.env),
    execArgv: execArgvOption(o.execArgv),
    maxConnectionsPerWorker:
      o.maxConnectionsPerWorker === undefined
        ? undefined
        : integerOption('options.maxConnectionsPerWorker', o.maxConnectionsPerWorker, 1),
  });
}
