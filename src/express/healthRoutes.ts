import type { IncomingMessage, ServerResponse } from 'node:http';
import { InvalidOptionError } from '../core/errors/InvalidOptionError.js';
import { pathOf } from '../core/internal/pathMatching.js';
import { checkOptionKeys, optionNames, optionsObject } from '../core/internal/validate.js';
import { HealthMonitor } from '../health/index.js';
import type { ExpressRequest, HealthRoutesOptions } from './ExpressOptions.js';

const OPTIONS = optionNames<HealthRoutesOptions>()(['monitor', 'live', 'ready', 'health', 'readiness']);
const DEFAULTS = { live: '/live', ready: '/ready', health: '/health' } as const;

/** The middleware {@link healthRoutes} returns: a handler, with the monitor and paths it serves. */
export type HealthRoutes = ((
  req: ExpressRequest,
  res: ServerResponse,
  next: (error?: unknown) => void,
) => void) & {
  /** The monitor the probes answer for: the one given, or the middleware's own. */
  readonly monitor: HealthMonitor;
  /** The probe paths served, for a load-shedding or rate-limit exemption. */
  readonly paths: readonly string[];
};

/**
 * Express middleware serving the Kubernetes-style probes over a {@link HealthMonitor}: `GET` and
 * `HEAD` on `/live` (200 while the event loop runs; never asks a dependency), `/ready` and
 * `/health` (503 once shutdown has begun or while critical, with the reasons). Every other
 * request goes on to `next()`. `use` it before the shedding and rate-limit middleware, so the
 * probes are answered even when everything else is refused.
 *
 * @param options - the monitor, the paths, what readiness answers.
 * @returns the middleware, with `.monitor` (to add checks to) and `.paths`.
 * @throws `InvalidOptionError` (`ERR_LOADSTONE_INVALID_OPTION`) for a bad option.
 *
 * @example
 * {@includeCode ./express.test.ts#express}
 */
export function healthRoutes(options?: HealthRoutesOptions): HealthRoutes {
  const opts = optionsObject('options', options);
  checkOptionKeys(opts, OPTIONS, 'healthRoutes');
  if (opts.monitor !== undefined && !(opts.monitor instanceof HealthMonitor)) {
    throw new InvalidOptionError('options.monitor', 'a HealthMonitor', opts.monitor);
  }
  const monitor = opts.monitor ?? new HealthMonitor();
  const ready = monitor.readinessHandler(opts.readiness);
  const handlers: Record<keyof typeof DEFAULTS, (req: IncomingMessage, res: ServerResponse) => void> = {
    live: monitor.livenessHandler(),
    ready,
    health: ready,
  };
  const routes = new Map<string, (req: IncomingMessage, res: ServerResponse) => void>();
  for (const name of ['live', 'ready', 'health'] as const) {
    const path = opts[name] ?? DEFAULTS[name];
    if (path === false) continue;
    if (typeof path !== 'string' || !path.startsWith('/')) {
      throw new InvalidOptionError(`options.${name}`, 'a path starting with "/", or false', path);
    }
    if (routes.has(path)) throw new InvalidOptionError(`options.${name}`, 'a path no other probe has', path);
    routes.set(path, handlers[name]);
  }
  const middleware = (req: ExpressRequest, res: ServerResponse, next: (error?: unknown) => void): void => {
    const handler = req.method === 'GET' || req.method === 'HEAD' ? routes.get(pathOf(req.url)) : undefined;
    if (handler === undefined) next();
    else handler(req, res);
  };
  return Object.assign(middleware, { monitor, paths: [...routes.keys()] });
}
