/**
 * Express (4 and 5) middleware: probes, load shedding, rate limiting, and closing on `SIGTERM`.
 *
 * @module loadstone/express
 */

export { closeOnShutdown, type ShutdownHook, type ShutdownReport } from './closeOnShutdown.js';
export type {
  CloseOnShutdownOptions,
  ExpressLoadSheddingOptions,
  ExpressRateLimitOptions,
  ExpressRequest,
  HealthRoutesOptions,
  ShutdownCloseable,
} from './ExpressOptions.js';
export { type HealthRoutes, healthRoutes } from './healthRoutes.js';
export { loadShedding } from './loadShedding.js';
export { rateLimit } from './rateLimit.js';
