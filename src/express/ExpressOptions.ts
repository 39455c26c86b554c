import type { IncomingMessage } from 'node:http';
import type { HealthMonitor, LoadSheddingOptions, ReadinessOptions } from '../health/index.js';
import type { RateLimitHeaderFormat } from '../resilience/index.js';

/**
 * The part of an Express (4 or 5) request the middleware reads: Node's request plus `ip`, `path`
 * and `app`. Declared here so that using `loadstone/express` needs no `@types/express`; an
 * Express `Request` is one.
 */
export type ExpressRequest = IncomingMessage & {
  /** The client's address, following the app's `trust proxy` setting. */
  readonly ip?: string | undefined;
  /** The URL's path, without the query string. */
  readonly path?: string;
  /** The app, for its settings (`trust proxy`). */
  readonly app?: {
    /** An app setting's value, as `app.get('trust proxy')`. */
    get(setting: string): unknown;
  };
};

/** Options of {@link healthRoutes}; every one may be left out. */
export type HealthRoutesOptions = {
  /**
   * The monitor the probes answer for. Without one the middleware makes its own (`.monitor`),
   * which {@link closeOnShutdown} closes when given it.
   */
  readonly monitor?: HealthMonitor;
  /**
   * Liveness: `200` whenever the event loop runs; never asks a dependency. `false` to leave it out.
   * @default '/live'
   */
  readonly live?: string | false;
  /**
   * Readiness: `503` once shutdown has begun or while critical. `false` to leave it out.
   * @default '/ready'
   */
  readonly ready?: string | false;
  /**
   * The readiness answer again, on the path load balancers and lightship use. `false` to leave it out.
   * @default '/health'
   */
  readonly health?: string | false;
  /**
   * What readiness answers. Leave `detail` off on a public port: the whole snapshot tells a
   * stranger how loaded the process is.
   */
  readonly readiness?: ReadinessOptions;
};

/** Options of {@link loadShedding}: the monitor's shedding options. */
export type ExpressLoadSheddingOptions = LoadSheddingOptions;

/** Options of {@link rateLimit}; every one may be left out. */
export type ExpressRateLimitOptions = {
  /**
   * Whose limit a request counts against. The default is the client's address, `req.ip`, which
   * follows the app's `trust proxy` setting (a warning says so once when a request came through a
   * proxy the app does not trust, or when `trust proxy` is `true`), with IPv6 addresses cut to
   * their `/ipv6Subnet`. If it throws, the error goes to `next` (Express answers 500 and logs it):
   * a request is never let through unkeyed.
   * @default (req) => req.ip, IPv6 cut to /56
   */
  readonly key?: (req: ExpressRequest) => string;
  /**
   * The prefix length IPv6 addresses are cut to by the default key (a customer is routinely
   * given a /56: every address of it shares one limit), 1 to 128, or `false` for whole addresses.
   * @default 56
   */
  readonly ipv6Subnet?: number | false;
  /**
   * What a request spends: an integer >= 0, or a function of the request.
   * @default 1
   */
  readonly cost?: number | ((req: ExpressRequest) => number);
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
   * Requests never counted nor limited: a predicate, or paths (a path matches itself and
   * everything below it). The probe paths of {@link healthRoutes} need no entry when it is
   * `use`d first, as it answers them before this runs.
   * @default none
   */
  readonly skip?: ((req: ExpressRequest) => boolean) | readonly string[];
};

/** Anything {@link closeOnShutdown} can close: a cache, a pool, a queue, a client. */
export type ShutdownCloseable = {
  /** Closes it; a returned promise is awaited (within the shutdown's timeout). */
  close(): unknown;
};

/** Options of {@link closeOnShutdown}; every one may be left out. */
export type CloseOnShutdownOptions = {
  /**
   * The monitor whose readiness turns to `503` the moment shutdown begins; closed last.
   */
  readonly monitor?: HealthMonitor;
  /**
   * What to close once the server has drained: in the reverse of the order given (the last opened
   * first). One that fails does not keep the others open.
   * @default []
   */
  readonly close?: readonly ShutdownCloseable[];
  /**
   * How long to keep serving, not ready, before the server stops accepting: time for load
   * balancers to see readiness fail. Under Kubernetes a `preStop` sleep does the same before
   * `SIGTERM` arrives; use one or the other (docs/kubernetes.md).
   * @default 0
   */
  readonly delayMs?: number;
  /**
   * The whole shutdown's budget after the delay: in-flight requests get it to finish (then their
   * sockets are destroyed), and what is left goes to `close`.
   * @default 10000
   */
  readonly timeoutMs?: number;
  /**
   * How long an idle keep-alive connection may stay once draining (requests on it are answered
   * with `Connection: close`, so clients reconnect elsewhere rather than fail).
   * @default 1000
   */
  readonly keepAliveMs?: number;
  /**
   * The signals that start shutdown; a second one exits at once with code 1. `[]` for none (call
   * `shutdown()` yourself).
   * @default ['SIGTERM', 'SIGINT']
   */
  readonly signals?: readonly NodeJS.Signals[];
  /**
   * Whether a signal's shutdown ends the process when done: exit code 0, or 1 when something
   * failed to close or requests were cut at the timeout.
   * @default true
   */
  readonly exit?: boolean;
};
