import type {
  FastifyInstance,
  FastifyPluginAsync,
  FastifyReply,
  FastifyRequest,
  HookHandlerDoneFunction,
} from 'fastify';
import fp from 'fastify-plugin';
import { PROBE_PATHS } from '../core/internal/pathMatching.js';
import { warnUntrustedProxy } from '../core/internal/proxyWarning.js';
import { HealthMonitor } from '../health/index.js';
import type { LoadstoneFastifyOptions } from './LoadstoneFastifyOptions.js';
import {
  type RateRule,
  type ResolvedFastifyOptions,
  resolveFastifyOptions,
  resolveRouteConfig,
} from './resolveFastifyOptions.js';

/** Where a route's resolved `config.loadstone` is kept on its config (set in `onRoute`). */
const ROUTE = Symbol('loadstone route');
type RouteSettings = { readonly shed: boolean; readonly rate: RateRule | undefined };
/** The probe routes: never shed, never rate-limited. */
// Stryker disable next-line BooleanLiteral: the shedding decision also exempts the probe paths (healthPaths); this skips asking it
const PROBE: RouteSettings = { shed: false, rate: undefined };

const SETTING = "Fastify's trustProxy";
const TOO_MANY = 'Too Many Requests\n';
const UNAVAILABLE = 'Service Unavailable\n';

async function loadstonePlugin(fastify: FastifyInstance, options: LoadstoneFastifyOptions): Promise<void> {
  const o = resolveFastifyOptions(options);
  const own = o.monitor === undefined;
  const monitor = o.monitor ?? new HealthMonitor();
  fastify.decorate('healthMonitor', monitor);
  const closing: { close(): unknown }[] = own ? [monitor] : [];
  for (const [name, value] of o.decorate) {
    fastify.decorate(name, value);
    if (typeof (value as { close?: unknown }).close === 'function')
      closing.push(value as { close(): unknown });
  }
  if (own)
    fastify.addHook('preClose', (done) => {
      monitor.beginShutdown(); // readiness answers 503 from now on
      done();
    });
  // Children before parents: what was opened last closes first, the plugin's own monitor last.
  // One that fails does not keep the others open; the first failure is what close() rejects with.
  fastify.addHook('onClose', async () => {
    const failures: unknown[] = [];
    for (const closeable of [...closing].reverse()) {
      await Promise.resolve()
        .then(() => closeable.close())
        .catch((error: unknown) => failures.push(error));
    }
    // Stryker disable next-line ConditionalExpression,EqualityOperator: Fastify's hook runner takes a rejection with undefined as success
    if (failures.length > 0) throw failures[0];
  });

  // Each route's settings, resolved once as it is added (routes added before the plugin get the
  // plugin's settings).
  fastify.addHook('onRoute', (route) => {
    const settings = resolveRouteConfig((route.config as { loadstone?: unknown } | undefined)?.loadstone, o);
    if (settings !== undefined) route.config = { ...route.config, [ROUTE]: settings } as typeof route.config;
  });
  serveProbes(fastify, monitor, o);
  if (o.shedding !== undefined) shed(fastify, monitor, o);
  limit(fastify, o); // even without a global limit: a route may have its own
}

function settingsOf(request: FastifyRequest): RouteSettings | undefined {
  return (request.routeOptions.config as { [ROUTE]?: RouteSettings } | undefined)?.[ROUTE];
}

function serveProbes(fastify: FastifyInstance, monitor: HealthMonitor, o: ResolvedFastifyOptions): void {
  const handlers = {
    live: monitor.livenessHandler(),
    ready: monitor.readinessHandler(o.readiness),
    health: monitor.readinessHandler(o.readiness),
  };
  for (const [name, url] of o.routes) {
    const handler = handlers[name];
    fastify.route({
      method: ['GET', 'HEAD'],
      url,
      config: { [ROUTE]: PROBE },
      handler: (request, reply) => {
        reply.hijack(); // the monitor's handler writes the raw response
        handler(request.raw, reply.raw);
      },
    });
  }
}

function shed(fastify: FastifyInstance, monitor: HealthMonitor, o: ResolvedFastifyOptions): void {
  const given = o.shedding ?? {};
  const probes = o.routes.map(([, url]) => url);
  const { shed: refuse, retryAfterSeconds } = monitor.shedDecision({
    ...given,
    healthPaths: [...(given.healthPaths ?? PROBE_PATHS), ...probes],
  });
  const retryAfter = String(retryAfterSeconds);
  fastify.addHook(
    'onRequest',
    (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => {
      if (settingsOf(request)?.shed === false) return done();
      let refused: boolean;
      try {
        refused = refuse(request.raw);
      } catch (error) {
        return done(error as Error);
      }
      if (!refused) return done();
      reply
        .code(503)
        .header('Retry-After', retryAfter)
        .header('Cache-Control', 'no-store')
        // Stryker disable next-line StringLiteral: Fastify gives a string body this type when it has none (type(''))
        .type('text/plain; charset=utf-8')
        .send(UNAVAILABLE);
    },
  );
}

function limit(fastify: FastifyInstance, o: ResolvedFastifyOptions): void {
  fastify.addHook(o.hook, (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => {
    const settings = settingsOf(request);
    const rule = settings === undefined ? o.rateLimit : settings.rate;
    if (rule === undefined) return done();
    let decided: ReturnType<RateRule['limiter']['limit']>;
    try {
      // The address Fastify gives is the peer's own although a proxy forwarded the request:
      // Fastify's trustProxy does not cover that proxy. (Fastify does not tell a plugin whether
      // trustProxy is `true`, so the permissive setting cannot be warned about here.)
      if (rule.keyIsIp && request.ip === request.socket.remoteAddress)
        warnUntrustedProxy(request.headers, SETTING);
      decided = rule.limiter.limit(rule.key(request), { cost: rule.cost(request) });
    } catch (error) {
      return done(error as Error);
    }
    decided.then(
      (result) => {
        for (const [name, value] of rule.headersOf(result, rule.limiter.periodMs)) reply.header(name, value);
        if (result.allowed) return done();
        // Stryker disable next-line StringLiteral: Fastify gives a string body this type when it has none (type(''))
        reply.code(429).type('text/plain; charset=utf-8').send(TOO_MANY);
      },
      (error: Error) => done(error),
    );
  });
}

/**
 * The loadstone Fastify plugin, made with `fastify-plugin` (so its hooks, routes and decorators
 * apply to the scope it is registered in), for Fastify 5 and 6.
 *
 * Registered with no options it serves `/live`, `/ready` and `/health` over a
 * {@link HealthMonitor} of its own (`fastify.healthMonitor`, to add checks to). With options it takes your monitor, sheds load (`503` with
 * `Retry-After`, the probes exempt), rate-limits every route (per-route settings in
 * `config: { loadstone: { rateLimit } }`), and decorates the instance with your cache and pools,
 * closing them when the server closes, last opened first.
 *
 * Bad options reject `register` (and `ready()`) with `ERR_LOADSTONE_INVALID_OPTION`; a bad route
 * setting throws when the route is added.
 *
 * @example
 * {@includeCode ./plugin.test.ts#plugin}
 */
const plugin: FastifyPluginAsync<LoadstoneFastifyOptions> = fp(loadstonePlugin, {
  name: 'loadstone',
  fastify: '5.x || 6.x',
});

export { plugin as loadstonePlugin };
