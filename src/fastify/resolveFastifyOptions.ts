// Checks the plugin's options at registration, so `register` (and `ready()`) rejects at once.
import type { FastifyRequest } from 'fastify';
import { InvalidOptionError } from '../core/index.js';
import { addressKey } from '../core/internal/addressKey.js';
import {
  checkOptionKeys,
  functionOption,
  integerOption,
  oneOfOption,
  optionNames,
  optionsObject,
} from '../core/internal/validate.js';
import { HealthMonitor } from '../health/index.js';
import { RateLimiter, type RateLimitHeaderWriter, rateLimitHeaders } from '../resilience/index.js';
import type {
  LoadstoneFastifyOptions,
  LoadstoneFastifyRateLimit,
  LoadstoneProbeRoutes,
  LoadstoneRouteConfig,
} from './LoadstoneFastifyOptions.js';

const OPTIONS = optionNames<LoadstoneFastifyOptions>()([
  'monitor',
  'routes',
  'readiness',
  'shedding',
  'rateLimit',
  'decorate',
]);
const ROUTES = optionNames<LoadstoneProbeRoutes>()(['live', 'ready', 'health']);
const RATE_LIMIT = optionNames<LoadstoneFastifyRateLimit>()([
  'limiter',
  'key',
  'cost',
  'ipv6Subnet',
  'headers',
  'policy',
  'hook',
]);
const ROUTE_CONFIG = optionNames<LoadstoneRouteConfig>()(['rateLimit', 'shed']);
const ROUTE_RATE_LIMIT = optionNames<Exclude<LoadstoneRouteConfig['rateLimit'], false | undefined>>()([
  'limiter',
  'key',
  'cost',
  'policy',
]);
const DEFAULT_ROUTES = { live: '/live', ready: '/ready', health: '/health' } as const;

/** How one route is rate-limited. */
export type RateRule = {
  readonly limiter: RateLimiter;
  readonly key: (request: FastifyRequest) => string;
  /** Whether `key` is the default (`request.ip`), for the proxy warning. */
  readonly keyIsIp: boolean;
  readonly cost: (request: FastifyRequest) => number;
  readonly headersOf: RateLimitHeaderWriter;
};

/** The options, checked, with the defaults filled in. */
export type ResolvedFastifyOptions = {
  readonly monitor: HealthMonitor | undefined;
  /** Probe name → path, for the probes served. */
  readonly routes: readonly (readonly ['live' | 'ready' | 'health', string])[];
  readonly readiness: LoadstoneFastifyOptions['readiness'];
  readonly shedding: Exclude<LoadstoneFastifyOptions['shedding'], boolean> | undefined;
  readonly rateLimit: RateRule | undefined;
  readonly rateLimitOptions: LoadstoneFastifyRateLimit | undefined;
  readonly hook: 'onRequest' | 'preHandler';
  readonly decorate: readonly (readonly [string, object])[];
};

/** @throws InvalidOptionError (`ERR_LOADSTONE_INVALID_OPTION`) for a bad option. */
export function resolveFastifyOptions(options: LoadstoneFastifyOptions | undefined): ResolvedFastifyOptions {
  const opts = optionsObject('options', options) as LoadstoneFastifyOptions;
  checkOptionKeys(opts, OPTIONS, 'the loadstone Fastify plugin');
  if (opts.monitor !== undefined && !(opts.monitor instanceof HealthMonitor)) {
    throw new InvalidOptionError('options.monitor', 'a HealthMonitor', opts.monitor);
  }
  const routeOpts = optionsObject('options.routes', opts.routes) as LoadstoneProbeRoutes;
  checkOptionKeys(routeOpts, ROUTES, 'the probe routes', {}, 'options.routes');
  const routes: (readonly ['live' | 'ready' | 'health', string])[] = [];
  for (const name of ['live', 'ready', 'health'] as const) {
    const path = routeOpts[name] ?? DEFAULT_ROUTES[name];
    if (path === false) continue;
    if (typeof path !== 'string' || !path.startsWith('/')) {
      throw new InvalidOptionError(`options.routes.${name}`, 'a path starting with "/", or false', path);
    }
    routes.push([name, path]);
  }
  let shedding: ResolvedFastifyOptions['shedding'];
  if (opts.shedding === true) shedding = {};
  else if (opts.shedding !== undefined && opts.shedding !== false) {
    shedding = optionsObject('options.shedding', opts.shedding);
  }
  const decorate = Object.entries(optionsObject('options.decorate', opts.decorate));
  for (const [name, value] of decorate) {
    if (typeof value !== 'object' || value === null) {
      throw new InvalidOptionError(`options.decorate.${name}`, 'an object', value);
    }
  }
  const rate = opts.rateLimit === undefined ? undefined : optionsObject('options.rateLimit', opts.rateLimit);
  if (rate !== undefined)
    checkOptionKeys(rate, RATE_LIMIT, 'the rate-limit options', {}, 'options.rateLimit');
  const hook =
    rate?.hook === undefined
      ? 'onRequest'
      : oneOfOption('options.rateLimit.hook', rate.hook, ['onRequest', 'preHandler']);
  return {
    monitor: opts.monitor,
    routes,
    readiness: opts.readiness,
    shedding,
    rateLimit: rate === undefined ? undefined : rateRule(rate, 'options.rateLimit'),
    rateLimitOptions: rate as LoadstoneFastifyRateLimit | undefined,
    hook,
    decorate,
  };
}

/**
 * A route's own settings (`config.loadstone`), over the plugin's: `undefined` for no change.
 * @throws InvalidOptionError for a bad setting, naming `config.loadstone.…`.
 */
export function resolveRouteConfig(
  config: unknown,
  global: ResolvedFastifyOptions,
): { readonly shed: boolean; readonly rate: RateRule | undefined } | undefined {
  if (config === undefined) return undefined;
  const path = 'config.loadstone';
  const opts = optionsObject(path, config as LoadstoneRouteConfig);
  checkOptionKeys(opts, ROUTE_CONFIG, 'a route’s loadstone config', {}, path);
  if (opts.shed !== undefined && opts.shed !== false) {
    throw new InvalidOptionError(`${path}.shed`, 'false, or absent', opts.shed);
  }
  let rate = global.rateLimit;
  if (opts.rateLimit === false) rate = undefined;
  else if (opts.rateLimit !== undefined) {
    const own = optionsObject(`${path}.rateLimit`, opts.rateLimit);
    checkOptionKeys(own, ROUTE_RATE_LIMIT, 'a route’s rate-limit config', {}, `${path}.rateLimit`);
    rate = rateRule({ ...global.rateLimitOptions, ...own } as LoadstoneFastifyRateLimit, `${path}.rateLimit`);
  }
  return { shed: opts.shed !== false, rate };
}

function rateRule(rate: Partial<LoadstoneFastifyRateLimit>, path: string): RateRule {
  if (!(rate.limiter instanceof RateLimiter)) {
    throw new InvalidOptionError(`${path}.limiter`, 'a RateLimiter', rate.limiter);
  }
  const keyIsIp = rate.key === undefined;
  const subnet = rate.ipv6Subnet ?? 64;
  if (subnet !== false) integerOption(`${path}.ipv6Subnet`, subnet, 1, 128);
  const key = keyIsIp
    ? (request: FastifyRequest) => addressKey(request.ip, subnet)
    : functionOption<(request: FastifyRequest) => string>(`${path}.key`, rate.key);
  const given = rate.cost ?? 1;
  let cost: (request: FastifyRequest) => number;
  if (typeof given === 'function') cost = given;
  else {
    const fixed = integerOption(`${path}.cost`, given, 0);
    cost = () => fixed;
  }
  const headersOf = headerWriter(rate, path);
  return { limiter: rate.limiter, key, keyIsIp, cost, headersOf };
}

/** {@link rateLimitHeaders} for options at `path` (its errors name `options.…`). */
function headerWriter(rate: Partial<LoadstoneFastifyRateLimit>, path: string): RateLimitHeaderWriter {
  try {
    return rateLimitHeaders({ headers: rate.headers, policy: rate.policy });
  } catch (error) {
    if (!(error instanceof InvalidOptionError)) throw error;
    // Stryker disable next-line Regex: the option paths rateLimitHeaders names hold `options` once, at the start
    throw new InvalidOptionError(error.option.replace(/^options/, path), error.expected, error.received);
  }
}
