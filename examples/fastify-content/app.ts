// The public Fastify app: content reads, user records, recommendations and content generation.
// Probes are public too; metrics and detailed health are on the admin listener (admin.ts).
import { setTimeout as sleep } from 'node:timers/promises';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { isLoadstoneError } from 'loadstone';
import loadstone from 'loadstone/fastify';
import type { Services } from './services.js';
import { type Tier, tiers, type UserRecord } from './shards.js';
import { UpstreamError } from './upstreams.js';

type UserParams = { Params: { id: string } };

export function buildApp(services: Services): FastifyInstance {
  const { monitor, cache, users, generation, callUpstream } = services;
  const app = Fastify();

  /** A user's record, read through the cache (`user:` policy) from the shard that owns it. */
  async function findUser(id: string): Promise<{ user: UserRecord | undefined; cached: boolean }> {
    let cached = true;
    const user = await cache.getOrSet(`user:${id}`, () => {
      cached = false;
      return users.get(id);
    });
    return { user: user as UserRecord | undefined, cached };
  }

  /** The caller's tier, from the `x-user` header and the user table; anonymous callers are free. */
  async function tierOf(userId: string | string[] | undefined): Promise<Tier> {
    if (typeof userId !== 'string' || userId === '') return 'free';
    return (await findUser(userId)).user?.tier ?? 'free';
  }

  /** Stands in for the expensive part (a model call, a render): cancellable, a few ms. */
  async function generate(prompt: string, tier: Tier, signal: AbortSignal): Promise<string> {
    await sleep(20, undefined, { signal });
    return `${prompt} (drafted for a ${tier} reader)`;
  }

  // Probes (status only; the monitor's snapshot stays on the admin port) from the loadstone plugin.
  app.register(loadstone, {
    monitor,
    routes: { live: '/health/live', ready: '/health/ready', health: false },
  });

  app.get<UserParams>('/users/:id', async (request, reply) => {
    const { id } = request.params;
    const { user, cached } = await findUser(id);
    reply.header('x-cache', cached ? 'hit' : 'miss').header('x-shard', users.shardOf(id));
    if (user === undefined) return reply.code(404).send({ error: 'unknown user', shard: users.shardOf(id) });
    return { user, shard: users.shardOf(id) };
  });

  app.put<UserParams & { Body: { tier: Tier } }>(
    '/users/:id',
    {
      schema: {
        body: {
          type: 'object',
          required: ['tier'],
          properties: { tier: { type: 'string', enum: [...tiers] } },
        },
      },
    },
    async (request) => {
      const user: UserRecord = {
        id: request.params.id,
        tier: request.body.tier,
        updatedAt: new Date().toISOString(),
      };
      await users.put(user);
      await cache.delete(`user:${user.id}`); // the next read sees the new tier
      return { user, shard: users.shardOf(user.id) };
    },
  );

  app.get<{ Params: { slug: string } }>('/content/:slug', async (request, reply) => {
    let upstream: string | undefined;
    const article = await cache.getOrSet(`content:${request.params.slug}`, async () => {
      const result = await callUpstream(`/content/${encodeURIComponent(request.params.slug)}`, 'free');
      upstream = result.upstream;
      return result.data;
    });
    reply.header('x-cache', upstream === undefined ? 'hit' : 'miss');
    return article;
  });

  app.get('/recommendations', async (request, reply) => {
    const user = request.headers['x-user'];
    const tier = await tierOf(user);
    const path = `/recommendations/${encodeURIComponent(typeof user === 'string' ? user : 'anonymous')}`;
    const { upstream, data } = await callUpstream(path, tier);
    reply.header('x-upstream', upstream);
    return { tier, upstream, data };
  });

  app.post<{ Body: { prompt: string } }>(
    '/generate',
    {
      schema: { body: { type: 'object', required: ['prompt'], properties: { prompt: { type: 'string' } } } },
    },
    async (request) => {
      const tier = await tierOf(request.headers['x-user']);
      const text = await generation.add(({ signal }) => generate(request.body.prompt, tier, signal), {
        priority: tier,
      });
      return { tier, text };
    },
  );

  // A burst of generation requests arriving at once: they are all queued before any starts
  // (pause, add, resume in one tick), so the answer shows the order the queue started them in.
  const batchSchema = {
    type: 'object',
    required: ['jobs'],
    properties: {
      jobs: {
        type: 'array',
        maxItems: 50,
        items: {
          type: 'object',
          required: ['user', 'prompt'],
          properties: { user: { type: 'string' }, prompt: { type: 'string' } },
        },
      },
    },
  };
  type Batch = { Body: { jobs: { user: string; prompt: string }[] } };
  app.post<Batch>('/generate/batch', { schema: { body: batchSchema } }, async (request) => {
    const jobs = request.body.jobs;
    const withTiers = await Promise.all(jobs.map(async (job) => ({ ...job, tier: await tierOf(job.user) })));
    const started: string[] = [];
    generation.pause();
    const results = withTiers.map((job) =>
      generation.add(
        ({ signal }) => {
          started.push(job.user);
          return generate(job.prompt, job.tier, signal);
        },
        { priority: job.tier },
      ),
    );
    generation.resume();
    const settled = await Promise.allSettled(results);
    return {
      started,
      results: settled.map((r, i) => ({
        user: withTiers[i]?.user,
        tier: withTiers[i]?.tier,
        ...(r.status === 'fulfilled' ? { text: r.value } : { error: String(r.reason) }),
      })),
    };
  });

  // Overload and upstream trouble become 503/502/504 with a reason; everything else is Fastify's.
  app.setErrorHandler<FastifyError>((thrown, _request, reply) => {
    // A cache loader's failure arrives wrapped (LoaderError, `cause`: what the loader threw).
    const error = isLoadstoneError(thrown, 'ERR_LOADSTONE_LOADER') ? thrown.cause : thrown;
    if (isLoadstoneError(error, 'ERR_LOADSTONE_SHED')) {
      return reply.code(503).header('retry-after', '5').send({ error: 'overloaded, try again later' });
    }
    if (isLoadstoneError(error, 'ERR_LOADSTONE_CIRCUIT_OPEN')) {
      const retryAfter = String(Math.max(1, Math.ceil(error.retryAfterMs / 1000)));
      return reply
        .code(503)
        .header('retry-after', retryAfter)
        .send({ error: error.message, upstream: error.breaker });
    }
    if (
      isLoadstoneError(error, 'ERR_LOADSTONE_NO_TARGET') ||
      isLoadstoneError(error, 'ERR_LOADSTONE_CAPACITY')
    ) {
      return reply.code(503).header('retry-after', '5').send({ error: error.message });
    }
    if (isLoadstoneError(error, 'ERR_LOADSTONE_TIMEOUT'))
      return reply.code(504).send({ error: error.message });
    if (error instanceof UpstreamError)
      return reply.code(502).send({ error: error.message, upstream: error.upstream });
    const status = thrown.statusCode ?? 500;
    if (status >= 500) console.error('request failed:', thrown);
    return reply.code(status).send({ error: status >= 500 ? 'internal error' : thrown.message });
  });

  return app;
}
