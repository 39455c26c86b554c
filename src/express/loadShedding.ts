import type { ServerResponse } from 'node:http';
import { InvalidOptionError } from '../core/errors/InvalidOptionError.js';
import { PROBE_PATHS } from '../core/internal/pathMatching.js';
import { optionsObject } from '../core/internal/validate.js';
import { HealthMonitor } from '../health/index.js';
import type { ExpressLoadSheddingOptions, ExpressRequest } from './ExpressOptions.js';
import type { HealthRoutes } from './healthRoutes.js';

/**
 * Express middleware refusing requests while the process is overloaded: `503 Service
 * Unavailable` with `Retry-After` while the monitor is critical (or from `shedFrom`), as
 * under-pressure does; `next()` otherwise. The probes are never shed: those of `health` when
 * given the {@link healthRoutes} middleware, and the usual probe paths (`healthPaths`).
 *
 * @param health - the {@link healthRoutes} middleware (its monitor and paths), or a monitor.
 * @param options - allow-list, `Retry-After`, threshold, priority tiers.
 * @returns the middleware.
 * @throws `InvalidOptionError` (`ERR_LOADSTONE_INVALID_OPTION`) for a bad option.
 *
 * @example
 * {@includeCode ./express.test.ts#express}
 */
export function loadShedding(
  health: HealthRoutes | HealthMonitor,
  options?: ExpressLoadSheddingOptions,
): (req: ExpressRequest, res: ServerResponse, next: (error?: unknown) => void) => void {
  const monitor = health instanceof HealthMonitor ? health : (health as Partial<HealthRoutes>)?.monitor;
  if (!(monitor instanceof HealthMonitor)) {
    throw new InvalidOptionError('health', 'the healthRoutes() middleware or a HealthMonitor', health);
  }
  const opts = optionsObject('options', options);
  if (health instanceof HealthMonitor) return monitor.loadShedding(opts);
  // Names the default probe paths too: giving `healthPaths` replaces them.
  const { healthPaths = PROBE_PATHS } = opts;
  return monitor.loadShedding({ ...opts, healthPaths: [...healthPaths, ...health.paths] });
}
