// Threshold resolution and the pure part of evaluation: which level a sample reaches, and which
// level it is below once the recovery margin is applied. HealthMonitor adds the streaks.
import { InvalidOptionError } from '../core/errors/InvalidOptionError.js';
import type { HealthStatus } from '../core/HealthCheck.js';
import { numberOption } from '../core/internal/validate.js';
import type { HealthCheckState, HealthThresholds, ThresholdLevels } from './HealthMonitorOptions.js';
import type { HealthSample } from './HealthSample.js';

/** Status as a rank: 0 healthy, 1 degraded, 2 critical (the index in `healthStatuses`). */
export type Level = 0 | 1 | 2;
export const LEVEL_NAMES: readonly HealthStatus[] = ['healthy', 'degraded', 'critical'];

export type MetricKey = keyof HealthThresholds;
/** A level that is not set is `Infinity`: never reached. */
export type ResolvedLevels = { readonly degraded: number; readonly critical: number };
export type ResolvedThresholds = Readonly<Record<MetricKey, ResolvedLevels | undefined>>;

const DEFAULTS: Readonly<Record<MetricKey, ThresholdLevels | false>> = {
  eventLoopDelayMs: { degraded: 100, critical: 300 },
  // No critical level: a loop busy 100 % of the time with a short delay is serving at capacity,
  // and shedding it would cut throughput without saving latency. Queueing shows up as delay.
  eventLoopUtilization: { degraded: 0.9 },
  heapUsedRatio: { degraded: 0.85, critical: 0.95 },
  rssMb: false,
  cpuPercent: false,
};

type Metric = {
  readonly key: MetricKey;
  readonly label: string;
  readonly read: (s: HealthSample) => number;
  readonly format: (n: number) => string;
};

const ms = (n: number): string => `${round(n, n < 10 ? 1 : 0)} ms`;
const ratio = (n: number): string => String(round(n, 2));
const MB = 1024 * 1024;

const METRICS: readonly Metric[] = [
  { key: 'eventLoopDelayMs', label: 'event loop delay p99', read: (s) => s.eventLoopDelay.p99, format: ms },
  {
    key: 'eventLoopUtilization',
    label: 'event loop utilisation',
    read: (s) => s.eventLoopUtilization,
    format: ratio,
  },
  {
    key: 'heapUsedRatio',
    label: 'heap used/limit',
    read: (s) => (s.heapLimitBytes > 0 ? s.heapUsedBytes / s.heapLimitBytes : 0),
    format: ratio,
  },
  { key: 'rssMb', label: 'rss', read: (s) => s.rssBytes / MB, format: (n) => `${round(n, 0)} MiB` },
  { key: 'cpuPercent', label: 'cpu', read: (s) => s.cpuPercent, format: (n) => `${round(n, 0)} %` },
];

/** The metric names a `thresholds` object may hold. */
export const METRIC_KEYS: ReadonlySet<string> = new Set(METRICS.map((m) => m.key));

function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** Validates `options.thresholds` and fills in the defaults. */
export function resolveThresholds(thresholds: HealthThresholds | undefined): ResolvedThresholds {
  const path = 'options.thresholds';
  if (
    thresholds !== undefined &&
    (typeof thresholds !== 'object' || thresholds === null || Array.isArray(thresholds))
  ) {
    throw new InvalidOptionError(path, 'an object', thresholds);
  }
  const given = (thresholds ?? {}) as Partial<Record<string, unknown>>;
  for (const key of Object.keys(given)) {
    if (!METRIC_KEYS.has(key)) {
      throw new InvalidOptionError(
        `${path}.${key}`,
        `absent: the metrics are ${[...METRIC_KEYS].map((k) => `\`${k}\``).join(', ')}`,
        given[key],
      );
    }
  }
  const resolved = {} as Record<MetricKey, ResolvedLevels | undefined>;
  for (const { key } of METRICS) {
    const value = given[key] === undefined ? DEFAULTS[key] : given[key];
    resolved[key] = resolveLevels(`${path}.${key}`, value);
  }
  return Object.freeze(resolved);
}

function resolveLevels(path: string, value: unknown): ResolvedLevels | undefined {
  if (value === false) return undefined;
  const expected = 'an object with `degraded` and/or `critical`, or false';
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidOptionError(path, expected, value);
  }
  const levels = value as Partial<Record<string, unknown>>;
  for (const key of Object.keys(levels)) {
    if (key !== 'degraded' && key !== 'critical') {
      throw new InvalidOptionError(
        `${path}.${key}`,
        'absent: the levels are `degraded` and `critical`',
        levels[key],
      );
    }
  }
  if (levels.degraded === undefined && levels.critical === undefined) {
    throw new InvalidOptionError(path, expected, value);
  }
  const degraded =
    levels.degraded === undefined
      ? Number.POSITIVE_INFINITY
      : numberOption(`${path}.degraded`, levels.degraded, 0);
  const critical =
    levels.critical === undefined
      ? Number.POSITIVE_INFINITY
      : numberOption(`${path}.critical`, levels.critical, 0);
  if (levels.degraded !== undefined && levels.critical !== undefined && degraded > critical) {
    throw new InvalidOptionError(
      `${path}.degraded`,
      `a finite number <= \`${path}.critical\` (${critical})`,
      degraded,
    );
  }
  return Object.freeze({ degraded, critical });
}

/** One sample (plus the latest check results) judged against the thresholds. */
export type Evaluation = {
  /** The worst level any metric or check reaches. */
  readonly level: Level;
  /** The worst level with thresholds lowered by the margin: recovery needs this below the status. */
  readonly recovery: Level;
  /** One entry per crossed threshold and per failing check. */
  readonly reasons: string[];
};

function rank(value: number, levels: ResolvedLevels, scale: number): Level {
  if (!Number.isFinite(value)) return 0;
  if (value >= levels.critical * scale) return 2;
  if (value >= levels.degraded * scale) return 1;
  return 0;
}

/** Judges a sample and the latest check results. */
export function evaluate(
  sample: HealthSample,
  thresholds: ResolvedThresholds,
  margin: number,
  checks: Readonly<Record<string, HealthCheckState>>,
): Evaluation {
  let level: Level = 0;
  let recovery: Level = 0;
  const reasons: string[] = [];
  for (const metric of METRICS) {
    const levels = thresholds[metric.key];
    if (levels === undefined) continue;
    const value = metric.read(sample);
    const reached = rank(value, levels, 1);
    const below = rank(value, levels, 1 - margin);
    if (reached > level) level = reached;
    if (below > recovery) recovery = below;
    if (reached > 0) {
      const limit = reached === 2 ? levels.critical : levels.degraded;
      reasons.push(
        `${metric.label} ${metric.format(value)} >= ${metric.format(limit)} (${LEVEL_NAMES[reached] as string})`,
      );
    }
  }
  for (const [name, state] of Object.entries(checks)) {
    const reached = LEVEL_NAMES.indexOf(state.status) as Level;
    if (reached > level) level = reached;
    if (reached > recovery) recovery = reached;
    if (reached > 0) {
      const why = state.error ?? state.message;
      reasons.push(`check "${name}" ${state.status}${why === undefined ? '' : `: ${why}`}`);
    }
  }
  return { level, recovery, reasons };
}
