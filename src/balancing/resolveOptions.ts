// Internal: validation of the LoadBalancer's options into their resolved, frozen form.
import type { Clock, HealthCheck, Picker } from '../core/index.js';
import { InvalidOptionError, systemClock } from '../core/index.js';
import { clockOption } from '../core/internal/clockOption.js';
import {
  checkOptionKeys,
  functionOption,
  integerOption,
  MAX_TIMER_MS,
  nonEmptyStringOption,
  numberOption,
  optionNames,
  optionsObject,
  timerMsOption,
} from '../core/internal/validate.js';
import { CircuitBreaker } from '../resilience/index.js';
import type { ResolvedHealthCheckOptions } from './ActiveHealthChecker.js';
import type { Backend, BackendCandidate, BackendInput } from './Backend.js';
import type {
  ActiveHealthCheckOptions,
  FailureAccrualBreakerOptions,
  FailureAccrualOptions,
  LoadBalancerOptions,
  OutlierDetectionOptions,
} from './LoadBalancerOptions.js';
import { PeakEwmaPicker } from './PeakEwmaPicker.js';

/** @internal The balancer's options, validated, with their defaults (the backends are checked one by one as they are added). */
export type ResolvedLoadBalancerOptions<T> = {
  readonly strategy: Picker<BackendCandidate<T>>;
  readonly clock: Clock;
  readonly ewmaDecayMs: number;
  readonly closeTimeoutMs: number;
  readonly outlierDetection: ResolvedOutlierDetection | undefined;
  readonly failureAccrual: ResolvedFailureAccrual | undefined;
  readonly isFailure: (error: unknown) => boolean;
  readonly healthCheck: ResolvedHealthCheck<T> | undefined;
};

/** @internal Active health checks: how to make a backend's check, and how often to run it. */
export type ResolvedHealthCheck<T> = {
  readonly factory: (backend: Backend<T>) => HealthCheck;
  readonly options: ResolvedHealthCheckOptions;
};

const BALANCER_OPTIONS = optionNames<LoadBalancerOptions<unknown>>()([
  'backends',
  'strategy',
  'outlierDetection',
  'failureAccrual',
  'healthCheck',
  'ewmaDecayMs',
  'isFailure',
  'closeTimeoutMs',
  'clock',
]);
const BACKEND_OPTIONS = optionNames<BackendInput<unknown>>()(['id', 'weight', 'target', 'groups']);
const OUTLIER_OPTIONS = optionNames<OutlierDetectionOptions>()([
  'consecutiveFailures',
  'baseEjectionMs',
  'maxEjectionMs',
  'maxEjectionPercent',
]);
const HEALTH_CHECK_OPTIONS = optionNames<ActiveHealthCheckOptions<unknown>>()([
  'check',
  'intervalMs',
  'timeoutMs',
  'unhealthyThreshold',
  'healthyThreshold',
]);

/** @internal Validates the options, in the order of their fields, into their frozen resolved form. */
export function resolveLoadBalancerOptions<T>(
  options: LoadBalancerOptions<T>,
): ResolvedLoadBalancerOptions<T> {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidOptionError('options', 'an object with a `backends` array', options);
  }
  if (!Array.isArray(options.backends)) {
    throw new InvalidOptionError(
      'options.backends',
      'an array of `{ id, weight?, target }`',
      options.backends,
    );
  }
  checkOptionKeys(options, BALANCER_OPTIONS, 'LoadBalancer');
  return Object.freeze({
    strategy: resolveStrategy<T>(options.strategy) ?? new PeakEwmaPicker(),
    clock: clockOption(options.clock, systemClock),
    ewmaDecayMs: numberOption('options.ewmaDecayMs', options.ewmaDecayMs ?? 10_000, 1),
    closeTimeoutMs: integerOption(
      'options.closeTimeoutMs',
      options.closeTimeoutMs ?? 30_000,
      0,
      MAX_TIMER_MS,
    ),
    outlierDetection: resolveOutlierDetection(options.outlierDetection),
    failureAccrual: resolveFailureAccrual(options.failureAccrual),
    isFailure:
      options.isFailure === undefined
        ? () => true
        : functionOption<(error: unknown) => boolean>('options.isFailure', options.isFailure),
    healthCheck: resolveHealthCheck(options.healthCheck),
  });
}

/** @internal */
export type ResolvedOutlierDetection = {
  readonly consecutiveFailures: number;
  readonly baseEjectionMs: number;
  readonly maxEjectionMs: number;
  readonly maxEjectionPercent: number;
};

/** @internal Failure accrual: each backend's breaker options, and the EWMA's failure penalty. */
export type ResolvedFailureAccrual = {
  readonly breaker: FailureAccrualBreakerOptions;
  readonly openDurationMs: number;
  readonly failurePenaltyMs: number;
};

const ACCRUAL_BREAKER_DEFAULTS = Object.freeze({
  failureRatio: 0.2,
  minimumCalls: 20,
  windowMs: 30_000,
  consecutiveFailures: 5,
  openDurationMs: 5_000,
});
const ACCRUAL_OPTIONS = optionNames<FailureAccrualOptions>()(['breaker', 'failurePenaltyMs']);
/** The breaker's own options that the balancer decides instead. */
const BALANCER_DECIDES = ['timeoutMs', 'isFailure', 'name', 'clock'];

/** @internal */
export function resolveFailureAccrual(
  value: boolean | FailureAccrualOptions | undefined,
): ResolvedFailureAccrual | undefined {
  if (value === undefined || value === false) return undefined;
  const opts = value === true ? {} : optionsObject('options.failureAccrual', value);
  checkOptionKeys(opts, ACCRUAL_OPTIONS, 'failureAccrual', {}, 'options.failureAccrual');
  const path = 'options.failureAccrual.breaker';
  const given = opts.breaker === undefined ? ACCRUAL_BREAKER_DEFAULTS : optionsObject(path, opts.breaker);
  for (const name of BALANCER_DECIDES) {
    if ((given as Record<string, unknown>)[name] !== undefined) {
      throw new InvalidOptionError(
        `${path}.${name}`,
        "absent (the balancer's own option decides it)",
        (given as Record<string, unknown>)[name],
      );
    }
  }
  checkBreakerOptions(given, path);
  return Object.freeze({
    breaker: Object.freeze({ ...(given as FailureAccrualBreakerOptions) }),
    openDurationMs: (given as { openDurationMs?: number }).openDurationMs ?? 10_000,
    failurePenaltyMs: numberOption(
      'options.failureAccrual.failurePenaltyMs',
      opts.failurePenaltyMs ?? 100,
      0,
    ),
  });
}

/** Builds one breaker of the options, so a bad one throws now, named where the balancer took it. */
function checkBreakerOptions(given: object, path: string): void {
  try {
    new CircuitBreaker({ ...given, name: 'check' } as never).reset();
  } catch (error) {
    if (error instanceof InvalidOptionError) {
      const named = error.expected.replaceAll('`options.', `\`${path}.`);
      throw new InvalidOptionError(error.option.replace(/^options/, path), named, error.received);
    }
    throw error;
  }
}

/** @internal */
export function resolveBackend<T>(path: string, input: BackendInput<T>): Backend<T> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new InvalidOptionError(path, 'an object `{ id, weight?, target, groups? }`', input);
  }
  checkOptionKeys(input, BACKEND_OPTIONS, 'a backend', {}, path);
  const id = nonEmptyStringOption(`${path}.id`, input.id);
  const weight = numberOption(`${path}.weight`, input.weight ?? 1, 0, Number.POSITIVE_INFINITY, true);
  const groups = input.groups ?? [];
  if (!Array.isArray(groups))
    throw new InvalidOptionError(`${path}.groups`, 'an array of group names', groups);
  groups.forEach((group, i) => {
    nonEmptyStringOption(`${path}.groups[${i}]`, group);
  });
  return Object.freeze({ id, weight, target: input.target, groups: Object.freeze([...groups]) });
}

/** @internal */
export function resolveStrategy<T>(value: unknown): Picker<BackendCandidate<T>> | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || typeof (value as Picker).pick !== 'function') {
    throw new InvalidOptionError('options.strategy', 'a Picker (an object with a `pick` method)', value);
  }
  return value as Picker<BackendCandidate<T>>;
}

/** @internal */
export function resolveOutlierDetection(
  value: OutlierDetectionOptions | false | undefined,
): ResolvedOutlierDetection | undefined {
  if (value === false) return undefined;
  const opts = optionsObject('options.outlierDetection', value);
  checkOptionKeys(opts, OUTLIER_OPTIONS, 'outlierDetection', {}, 'options.outlierDetection');
  const baseEjectionMs = numberOption(
    'options.outlierDetection.baseEjectionMs',
    opts.baseEjectionMs ?? 30_000,
    1,
  );
  return Object.freeze({
    consecutiveFailures: integerOption(
      'options.outlierDetection.consecutiveFailures',
      opts.consecutiveFailures ?? 5,
      1,
    ),
    baseEjectionMs,
    maxEjectionMs: numberOption(
      'options.outlierDetection.maxEjectionMs',
      opts.maxEjectionMs ?? Math.max(300_000, baseEjectionMs),
      baseEjectionMs,
    ),
    maxEjectionPercent: numberOption(
      'options.outlierDetection.maxEjectionPercent',
      opts.maxEjectionPercent ?? 50,
      0,
      100,
    ),
  });
}

/** @internal */
export function resolveHealthCheck<T>(
  value: ActiveHealthCheckOptions<T> | undefined,
): ResolvedHealthCheck<T> | undefined {
  if (value === undefined) return undefined;
  const opts = optionsObject('options.healthCheck', value);
  checkOptionKeys(opts, HEALTH_CHECK_OPTIONS, 'healthCheck', {}, 'options.healthCheck');
  return {
    factory: functionOption('options.healthCheck.check', opts.check),
    options: Object.freeze({
      intervalMs: timerMsOption('options.healthCheck.intervalMs', opts.intervalMs ?? 10_000, 1),
      timeoutMs: timerMsOption('options.healthCheck.timeoutMs', opts.timeoutMs ?? 5_000, 1),
      unhealthyThreshold: integerOption(
        'options.healthCheck.unhealthyThreshold',
        opts.unhealthyThreshold ?? 2,
        1,
      ),
      healthyThreshold: integerOption('options.healthCheck.healthyThreshold', opts.healthyThreshold ?? 2, 1),
    }),
  };
}

/** @internal Makes a backend's check and checks that it is one. */
export function makeHealthCheck<T>(
  factory: (backend: Backend<T>) => HealthCheck,
  backend: Backend<T>,
): HealthCheck {
  const check = factory(backend);
  if (typeof check !== 'object' || check === null || typeof check.check !== 'function') {
    throw new InvalidOptionError(
      'options.healthCheck.check',
      'a function returning a HealthCheck (an object with a `check` method)',
      check,
    );
  }
  return check;
}
