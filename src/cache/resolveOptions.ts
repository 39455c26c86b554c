// Internal: validation of the TieredCache's options into their resolved, frozen form.
import type { Bus } from '../core/Bus.js';
import type { CacheTier } from '../core/CacheTier.js';
import type { Clock } from '../core/Clock.js';
import { InvalidOptionError } from '../core/errors/InvalidOptionError.js';
import { clockOption } from '../core/internal/clockOption.js';
import {
  booleanOption,
  checkOptionKeys,
  functionOption,
  implementationOption,
  integerOption,
  MAX_TIMER_MS,
  nonEmptyStringOption,
  numberOption,
  optionNames,
  optionsObject,
} from '../core/internal/validate.js';
import type { RandomSource } from '../core/RandomSource.js';
import type { CacheLock } from './CacheLock.js';
import type { TieredCacheOptions, TtlPolicy } from './TieredCacheOptions.js';

/** The TTLs of the keys under one prefix (`''` for the default policy). */
export type ResolvedPolicy = {
  readonly prefix: string;
  readonly ttlMs: number;
  readonly graceMs: number;
  readonly negativeTtlMs: number;
};

/** A tier that passed validation, with its name. */
export type ResolvedTier = {
  readonly tier: CacheTier;
  readonly name: string;
  readonly remote: boolean;
};

/** The resolved, frozen form of {@link TieredCacheOptions}. */
export type ResolvedTieredCacheOptions = {
  readonly name: string;
  readonly tiers: readonly ResolvedTier[];
  readonly defaultPolicy: ResolvedPolicy;
  readonly policies: readonly ResolvedPolicy[];
  readonly staleWhileRevalidate: boolean;
  readonly refreshAhead: number;
  readonly jitterRatio: number;
  readonly channel: string;
  readonly lockTtlMs: number;
  readonly lockWaitMs: number;
  readonly lockPollMs: number;
  readonly tierTimeoutMs: number;
  readonly tierFailureThreshold: number;
  readonly tierOpenDurationMs: number;
  readonly tagTtlMs: number;
  readonly latencySampleEvery: number;
  readonly closeTimeoutMs: number;
  readonly clock: Clock;
  /** Only the default clock may be read through a coarse cache (a fake clock must be exact). */
  readonly coarseClock: boolean;
  readonly random: RandomSource;
  readonly lock: CacheLock | undefined;
  readonly bus: Bus | undefined;
};

const OPTIONS = optionNames<TieredCacheOptions>()([
  'tiers',
  'defaultTtlMs',
  'policies',
  'graceMs',
  'staleWhileRevalidate',
  'refreshAhead',
  'negativeTtlMs',
  'jitterRatio',
  'bus',
  'channel',
  'lock',
  'lockTtlMs',
  'lockWaitMs',
  'lockPollMs',
  'tierTimeoutMs',
  'tierFailureThreshold',
  'tierOpenDurationMs',
  'tagTtlMs',
  'clock',
  'random',
  'latencySampleEvery',
  'name',
  'closeTimeoutMs',
]);
const POLICY_OPTIONS = optionNames<TtlPolicy>()(['prefix', 'ttlMs', 'graceMs', 'negativeTtlMs']);

const wallClock: Clock = Object.freeze({ now: () => Date.now() });

/**
 * Validates `options` (in the order the errors were always reported: tiers, scalars, name,
 * breaker settings, each tier, clock, random, lock, bus) and applies the defaults.
 * @throws {@link InvalidOptionError} for the first bad option.
 */
export function resolveOptions(options: TieredCacheOptions): ResolvedTieredCacheOptions {
  const opts = optionsObject('options', options) as Partial<TieredCacheOptions>;
  checkOptionKeys(opts, OPTIONS, 'TieredCache');
  const tiers = opts.tiers;
  if (!Array.isArray(tiers) || tiers.length === 0) {
    throw new InvalidOptionError('options.tiers', 'a non-empty array of cache tiers', tiers);
  }
  const ttlMs = integerOption('options.defaultTtlMs', opts.defaultTtlMs ?? 60_000, 1);
  const graceMs = integerOption('options.graceMs', opts.graceMs ?? 0, 0);
  const negativeTtlMs = integerOption('options.negativeTtlMs', opts.negativeTtlMs ?? 0, 0);
  const policies = opts.policies ?? [];
  if (!Array.isArray(policies)) throw new InvalidOptionError('options.policies', 'an array', policies);
  const resolvedPolicies = policies
    .map((policy: TtlPolicy, i: number) => {
      const path = `options.policies[${i}]`;
      optionsObject(path, policy);
      checkOptionKeys(policy, POLICY_OPTIONS, 'a TTL policy', {}, path);
      return Object.freeze({
        prefix: nonEmptyStringOption(`${path}.prefix`, policy.prefix),
        ttlMs: integerOption(`${path}.ttlMs`, policy.ttlMs, 1),
        graceMs: integerOption(`${path}.graceMs`, policy.graceMs ?? graceMs, 0),
        negativeTtlMs: integerOption(`${path}.negativeTtlMs`, policy.negativeTtlMs ?? negativeTtlMs, 0),
      });
    })
    .sort((a, b) => b.prefix.length - a.prefix.length);
  const swr = booleanOption('options.staleWhileRevalidate', opts.staleWhileRevalidate ?? false);
  const jitterRatio = numberOption('options.jitterRatio', opts.jitterRatio ?? 0.1, 0, 0.999);
  const channel = nonEmptyStringOption('options.channel', opts.channel ?? 'loadstone:cache:invalidate');
  const lockTtlMs = integerOption('options.lockTtlMs', opts.lockTtlMs ?? 10_000, 1, MAX_TIMER_MS);
  const lockWaitMs = integerOption('options.lockWaitMs', opts.lockWaitMs ?? 5_000, 0, MAX_TIMER_MS);
  const lockPollMs = integerOption('options.lockPollMs', opts.lockPollMs ?? 20, 1, MAX_TIMER_MS);
  const tierTimeoutMs = integerOption('options.tierTimeoutMs', opts.tierTimeoutMs ?? 250, 1, MAX_TIMER_MS);
  const tagTtlMs = integerOption('options.tagTtlMs', opts.tagTtlMs ?? 604_800_000, 1);
  const sampleEvery = integerOption('options.latencySampleEvery', opts.latencySampleEvery ?? 64, 0);
  const closeTimeoutMs = integerOption(
    'options.closeTimeoutMs',
    opts.closeTimeoutMs ?? 5_000,
    0,
    MAX_TIMER_MS,
  );
  const name = nonEmptyStringOption('options.name', opts.name ?? 'cache');
  const failures = integerOption('options.tierFailureThreshold', opts.tierFailureThreshold ?? 3, 1);
  const openMs = integerOption(
    'options.tierOpenDurationMs',
    opts.tierOpenDurationMs ?? 2_000,
    1,
    MAX_TIMER_MS,
  );
  const resolvedTiers = tiers.map((tier: CacheTier, i: number) => resolveTier(`options.tiers[${i}]`, tier));
  const clock = clockOption(opts.clock, wallClock);
  const random =
    opts.random === undefined ? Math.random : functionOption<RandomSource>('options.random', opts.random);
  const lock =
    opts.lock === undefined
      ? undefined
      : implementationOption<CacheLock>('options.lock', opts.lock, ['acquire', 'release'], 'a CacheLock');
  const bus =
    opts.bus === undefined
      ? undefined
      : implementationOption<Bus>('options.bus', opts.bus, ['publish', 'subscribe'], 'a Bus');
  return Object.freeze({
    name,
    tiers: Object.freeze(resolvedTiers),
    defaultPolicy: Object.freeze({ prefix: '', ttlMs, graceMs, negativeTtlMs }),
    policies: Object.freeze(resolvedPolicies),
    staleWhileRevalidate: swr,
    refreshAhead: numberOption('options.refreshAhead', opts.refreshAhead ?? 0, 0, 0.999),
    jitterRatio,
    channel,
    lockTtlMs,
    lockWaitMs,
    lockPollMs,
    tierTimeoutMs,
    tierFailureThreshold: failures,
    tierOpenDurationMs: openMs,
    tagTtlMs,
    latencySampleEvery: sampleEvery,
    closeTimeoutMs,
    clock,
    coarseClock: opts.clock === undefined,
    random,
    lock,
    bus,
  });
}

function resolveTier(path: string, tier: CacheTier): ResolvedTier {
  if (
    typeof tier !== 'object' ||
    tier === null ||
    typeof tier.get !== 'function' ||
    typeof tier.set !== 'function' ||
    typeof tier.delete !== 'function' ||
    typeof tier.clear !== 'function'
  ) {
    throw new InvalidOptionError(path, 'a CacheTier (get, set, delete, clear)', tier);
  }
  return { tier, name: nonEmptyStringOption(`${path}.name`, tier.name), remote: tier.remote === true };
}
