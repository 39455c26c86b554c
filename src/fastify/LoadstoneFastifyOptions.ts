import type { FastifyRequest } from 'fastify';
import type { HealthMonitor, LoadSheddingOptions, ReadinessOptions } from '../health/index.js';
import type { RateLimiter, RateLimitHeaderFormat } from '../resilience/index.js';

/** The probe routes: a path each, or `false` to leave one out. */
export type LoadstoneProbeRoutes = {
  /**
   * Liveness: `200` whenever the event loop runs; never shed, never rate-limited, never asks a
   * dependency (a busy process must not be restarted).
   * @default '/live'
   */
  readonly live?: string | false;
  /**
   * Readiness: `503` once shutdown has begun or while critical.
   * @default '/ready'
   */
  readonly ready?: string | false;
  /**
   * The same answer as readiness, on the path load balancers and lightship use.
   * @default '/health'
   */
  readonly health?: string | false;
};

/** Rate limiting for every route (each can change it or opt out in `config.loadstone.rateLimit`). */
export type LoadstoneFastifyRateLimit = {
  /** The limiter deciding (its store decides where the counts live: memory, Redis, the cluster). */
  readonly limiter: RateLimiter;
  /**
   * Whose limit a request counts against. The default is `request.ip`, which follows Fastify's
   * `trustProxy`: behind a proxy without it, every client shares the proxy's address (a warning
   * says so once; `trustProxy: true` would let any client pick its address), with IPv6
   * addresses cut to their `/ipv6Subnet`. If it throws, Fastify answers 500 and logs the error:
   * a request is never let through unkeyed.
   * @default (request) => request.ip, IPv6 cut to /64
   */
  readonly key?: (request: FastifyRequest) => string;
  /**
   * The prefix length IPv6 addresses are cut to by the default key (one customer is routinely
   * given a whole /64 or more: every address of it shares one limit), 1 to 128, or `false` for
   * whole addresses. The default is @fastify/rate-limit's.
   * @default 64
   */
  readonly ipv6Subnet?: number | false;
  /**
   * What a request spends: an integer >= 0, or a function of the request.
   * @default 1
   */
  readonly cost?: number | ((request: FastifyRequest) => number);
  /**
   * Which rate-limit header fields each response carries.
   * @default 'draft-8'
   */
  readonly headers?: RateLimitHeaderFormat;
  /**
   * The policy's name in the `draft-8` fields.
   * @default 'default'
   */
  readonly policy?: string;
  /**
   * The hook that decides: `'onRequest'` (before the body is read) or `'preHandler'` (after
   * authentication hooks, so `key` can read the user).
   * @default 'onRequest'
   */
  readonly hook?: 'onRequest' | 'preHandler';
};

/** Per-route settings, in a route's `config: { loadstone: { … } }`. */
export type LoadstoneRouteConfig = {
  /** `false`: this route is never rate-limited; an object: its own limiter, key or cost. */
  readonly rateLimit?:
    | false
    | Partial<Pick<LoadstoneFastifyRateLimit, 'limiter' | 'key' | 'cost' | 'policy'>>;
  /** `false`: this route is never shed (an admin or webhook route, say). */
  readonly shed?: false;
};

/** Options of the `loadstone/fastify` plugin; every one may be left out. */
export type LoadstoneFastifyOptions = {
  /**
   * The monitor behind the probes and the shedding. Without one the plugin makes its own, and
   * closes it when the server closes (after turning readiness to 503 as closing begins).
   */
  readonly monitor?: HealthMonitor;
  /** The probe routes' paths. */
  readonly routes?: LoadstoneProbeRoutes;
  /**
   * What readiness (`/ready`, `/health`) answers. Leave `detail` off on a public port: the whole
   * snapshot tells a stranger how loaded the process is.
   */
  readonly readiness?: ReadinessOptions;
  /**
   * Load shedding: `true`, or the monitor's shedding options. Requests get `503` with
   * `Retry-After` while the monitor is critical (or from `shedFrom`), as under-pressure does;
   * the probe routes are never shed.
   * @default false
   */
  readonly shedding?: boolean | LoadSheddingOptions;
  /** Rate limiting for every route. */
  readonly rateLimit?: LoadstoneFastifyRateLimit;
  /**
   * Objects to decorate the instance with, by name (`{ cache, pools }` gives `fastify.cache` and
   * `fastify.pools`). Each one with a `close()` is closed when the server closes, in the reverse
   * of the order given (the last opened first).
   */
  readonly decorate?: Readonly<Record<string, object>>;
};
