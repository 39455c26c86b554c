// Every loadstone primitive the service uses, built once and closed together. The Fastify routes
// (app.ts) and the admin listener (admin.ts) only read from this object.
import type http from 'node:http';
import type { HealthCheck, HealthCheckResult } from 'loadstone';
import { LoadBalancer, PeakEwmaPicker } from 'loadstone/balancing';
import { MemoryTier, TieredCache } from 'loadstone/cache';
import { HealthMonitor } from 'loadstone/health';
import { ConnectionPoolManager } from 'loadstone/pool';
import { PriorityTaskQueue } from 'loadstone/queue';
import { CircuitBreaker } from 'loadstone/resilience';
import { createUserShards, type Tier, tiers } from './shards.js';
import { getJson, isUpstreamFailure, openConnection, type StandIn, startStandIns } from './upstreams.js';

/** An upstream as the balancer sees it: where it is, its connection pool and its breaker. */
export type Upstream = {
  readonly id: string;
  readonly origin: string;
  readonly pool: string;
  readonly breaker: CircuitBreaker;
};

/**
 * An operator's switch (admin `POST /drill/overload`): a health check that reports `critical`
 * while on, so the queue's tier-based shedding can be watched without overloading the machine.
 */
class OverloadDrill implements HealthCheck {
  readonly name = 'overload-drill';
  on = false;
  async check(): Promise<HealthCheckResult> {
    return this.on
      ? { status: 'critical', message: 'overload drill is on' }
      : { status: 'healthy', message: 'overload drill is off' };
  }
}

export type Services = Awaited<ReturnType<typeof createServices>>;

export async function createServices() {
  const drill = new OverloadDrill();
  const pools = new ConnectionPoolManager();
  const monitor = new HealthMonitor({
    checks: [drill, pools],
    // Two bad samples in a row before acting, so one GC pause or startup stall sheds nothing.
    hysteresis: { enterAfter: 2 },
  });

  // One cache, TTLs by key prefix: articles are shared and change rarely; a user's tier must
  // follow an upgrade quickly; unknown users are remembered briefly so probes cannot hammer shards.
  const cache = new TieredCache<unknown>({
    name: 'content',
    tiers: [new MemoryTier({ maxEntries: 10_000, loadSignal: monitor })],
    policies: [
      // A failing upstream within the grace window serves the stale article instead of a 502.
      { prefix: 'content:', ttlMs: 30_000, graceMs: 300_000 },
      { prefix: 'user:', ttlMs: 5_000, negativeTtlMs: 1_000 },
    ],
  });

  // Content generation: premium before pro before free. While the monitor is critical only
  // premium and pro are admitted; free requests are refused at once (503) instead of queueing.
  const generation = new PriorityTaskQueue({
    concurrency: 2,
    maxQueued: 200,
    priorities: tiers,
    timeoutMs: 10_000,
    loadSignal: monitor,
    shed: { minPriority: 'pro' satisfies Tier },
  });

  const users = createUserShards(pools, ['shard-0', 'shard-1', 'shard-2']);

  const standIns: StandIn[] = await startStandIns();
  const upstreams: Upstream[] = standIns.map(({ id, origin }) => {
    const pool = `upstream:${id}`;
    pools.register<http.Agent>(
      pool,
      { create: openConnection, destroy: (agent) => agent.destroy() },
      { max: 8, acquireTimeoutMs: 1_000 },
    );
    const breaker = new CircuitBreaker({
      name: id,
      failureRatio: 0.5,
      minimumCalls: 4,
      windowMs: 10_000,
      openDurationMs: 5_000,
      timeoutMs: 2_000,
      isFailure: isUpstreamFailure,
    });
    return { id, origin, pool, breaker };
  });

  // Premium traffic goes to `recs-a` (its reserved capacity, the `premium` affinity group); the
  // rest is spread over all three by peak-EWMA, which learns that `recs-b` is slow.
  const balancer = new LoadBalancer<Upstream>({
    backends: upstreams.map((target) => ({
      id: target.id,
      target,
      groups: target.id === 'recs-a' ? ['premium'] : [],
    })),
    strategy: new PeakEwmaPicker(),
    ewmaDecayMs: 5_000,
    outlierDetection: { consecutiveFailures: 3, baseEjectionMs: 5_000 },
    isFailure: isUpstreamFailure,
  });

  /**
   * GETs `path` from an upstream the balancer picks, through that upstream's breaker and one of
   * its pooled connections. Resolves with the upstream's id and the JSON body. A GET is
   * idempotent, so a failed one is retried once on another upstream (`exclude`).
   */
  async function callUpstream(path: string, tier: Tier, signal?: AbortSignal) {
    const tried: string[] = [];
    const attempt = () =>
      balancer.run(
        async (upstream, runSignal) => {
          tried.push(upstream.id);
          const data = await upstream.breaker.execute(
            (callSignal) =>
              pools.use(
                upstream.pool,
                (agent: http.Agent) => getJson(upstream.id, upstream.origin, path, agent, callSignal),
                { signal: callSignal },
              ),
            runSignal,
          );
          return { upstream: upstream.id, data };
        },
        { group: tier === 'premium' ? 'premium' : undefined, exclude: tried, signal },
      );
    try {
      return await attempt();
    } catch (error) {
      if (signal?.aborted || tried.length === 0) throw error; // the caller gave up, or no upstream
      return attempt();
    }
  }

  async function close(): Promise<void> {
    const bounded = () => ({ signal: AbortSignal.timeout(5_000) });
    await generation.close(bounded()); // let accepted generation tasks finish
    await balancer.close(bounded());
    await pools.close(bounded());
    await cache.close(bounded());
    await monitor.close(bounded());
    await Promise.all(standIns.map((s) => s.close()));
  }

  return { drill, monitor, cache, generation, users, pools, upstreams, balancer, callUpstream, close };
}
