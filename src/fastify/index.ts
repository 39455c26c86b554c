/**
 * The Fastify plugin: probes, load shedding, rate limiting and closing, in one `register`.
 *
 * @module loadstone/fastify
 */

export type {
  LoadstoneFastifyOptions,
  LoadstoneFastifyRateLimit,
  LoadstoneProbeRoutes,
  LoadstoneRouteConfig,
} from './LoadstoneFastifyOptions.js';
export { loadstonePlugin, loadstonePlugin as default } from './plugin.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The monitor behind the probes and the shedding: the plugin's own, or the one it was given. */
    healthMonitor: import('../health/index.js').HealthMonitor;
  }
  interface FastifyContextConfig {
    /** loadstone's settings for this route (see {@link LoadstoneRouteConfig}). */
    loadstone?: import('./LoadstoneFastifyOptions.js').LoadstoneRouteConfig;
  }
}
