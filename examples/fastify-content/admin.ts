// The private admin listener (ADMIN_PORT, keep it off the public network): Prometheus metrics,
// detailed health and the overload drill.
import Fastify, { type FastifyInstance } from 'fastify';
import { PrometheusExporter } from 'loadstone/prometheus';
import { Registry } from 'prom-client';
import type { Services } from './services.js';

export function buildAdminApp(services: Services): FastifyInstance {
  const { drill, monitor, cache, generation, users, pools, upstreams, balancer } = services;
  const app = Fastify();

  // Every primitive's stats() as Prometheus series, labelled name="…".
  const registry = new Registry();
  const exporter = new PrometheusExporter();
  exporter.add('health', monitor);
  exporter.add('content', cache);
  exporter.add('generation', generation);
  exporter.add('pools', pools);
  exporter.add('upstreams', balancer);
  for (const upstream of upstreams) exporter.add(upstream.id, upstream.breaker);
  exporter.register(registry);

  app.get('/metrics', async (_request, reply) => {
    return reply.type(registry.contentType).send(await registry.metrics());
  });

  // Everything the primitives know, as JSON: for humans and dashboards, not for probes.
  app.get('/health', async () => ({
    health: monitor.snapshot(),
    generation: generation.stats(),
    cache: cache.stats(),
    upstreams: balancer.stats(),
    breakers: Object.fromEntries(upstreams.map((u) => [u.id, u.breaker.stats()])),
    pools: pools.stats(),
    shards: users.sharder.nodes.map((node) => node.id),
  }));

  // Turns the overload drill on or off and samples at once (instead of waiting for the
  // monitor's timer), so the new status is in force when this answers.
  app.post<{ Body: { on: boolean } }>(
    '/drill/overload',
    { schema: { body: { type: 'object', required: ['on'], properties: { on: { type: 'boolean' } } } } },
    async (request) => {
      drill.on = request.body.on;
      const wanted = drill.on ? 'critical' : 'healthy';
      // Hysteresis asks for a few samples in a row before the status moves.
      for (let i = 0; i < 5 && monitor.status !== wanted; i++) await monitor.refresh();
      return { drill: drill.on, status: monitor.status };
    },
  );

  return app;
}
