// express-auth: an Express 5 API under `supervise()`. Sign-up and login hash passwords with
// scrypt in a WorkerThreadPool, logins are rate-limited, profiles are read through a
// TieredCache kept coherent across workers, a HealthMonitor serves the probes and sheds load,
// and SIGTERM drains requests, then the cache, the pool and the bus, in that order.
//
// Embedded by default (no Redis needed): users are JSON files in DATA_DIR, the cache has a memory
// tier per worker invalidated over the cluster's IPC bus, the rate limit is per worker. With
// REDIS_URL: users, a second cache tier, the invalidation bus and the rate limit live in Redis.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { type Bus, MemoryTier, RedisBus, RedisTier, TieredCache } from 'loadstone/cache';
import { ClusterBus, supervise, type WorkerContext } from 'loadstone/cluster';
import { HealthMonitor } from 'loadstone/health';
import { PrometheusExporter } from 'loadstone/prometheus';
import { RateLimiter, RedisRateLimitStore } from 'loadstone/resilience';
import { Registry } from 'prom-client';
import { createApp, type Profile } from './app.js';
import { Passwords } from './passwords.js';
import { FileUserStore, RedisUserStore } from './users.js';

const HOST = process.env.HOST ?? '127.0.0.1';
const PORT = Number(process.env.PORT ?? 3000);
const ADMIN_PORT = Number(process.env.ADMIN_PORT ?? 9464);
const WORKERS = Number(process.env.WORKERS ?? 2);
const SCRYPT_COST = Number(process.env.SCRYPT_COST ?? 16_384);
const REDIS_URL = process.env.REDIS_URL || undefined;
// The primary creates the directory; its workers inherit DATA_DIR through `env` below, so they
// all share it (and never reach the mkdtemp).
const ownDataDir = REDIS_URL === undefined && !process.env.DATA_DIR;
const DATA_DIR = REDIS_URL ? '' : process.env.DATA_DIR || mkdtempSync(join(tmpdir(), 'express-auth-'));

async function startWorker(ctx: WorkerContext) {
  // Closeables close in reverse order of registration, after the server drained: the cache
  // first (it still publishes on the bus and reads Redis), then the pool, the bus, Redis.
  const redis = REDIS_URL === undefined ? undefined : new Redis(REDIS_URL);
  if (redis) {
    // Without an `error` listener ioredis prints "Unhandled error event" on every reconnect
    // attempt: say it once per outage (the cache's breaker and the health check report it too).
    let down = false;
    redis.on('error', (error: Error) => {
      if (!down) console.warn(`express-auth: Redis unreachable (${error.message}); retrying`);
      down = true;
    });
    redis.on('ready', () => {
      down = false;
    });
  }
  if (redis) ctx.register({ close: () => redis.quit() });
  const bus: Bus = redis ? new RedisBus({ client: redis }) : new ClusterBus();
  ctx.register(bus);

  // The machine's cores are shared by every worker's threads.
  const passwords = new Passwords({
    cost: SCRYPT_COST,
    maxThreads: Math.max(1, Math.floor(availableParallelism() / WORKERS)),
  });
  ctx.register(passwords.pool);

  const monitor = new HealthMonitor({
    intervalMs: 500,
    checks: [passwords.pool], // a full hashing queue
    hysteresis: { enterAfter: 2 }, // shed after two bad intervals in a row, not one stall
  });
  ctx.useHealth(monitor); // readiness turns 503 as the drain begins; snapshots reach the primary

  const profiles = new TieredCache<Profile>({
    name: 'profiles',
    tiers: [
      // Drops its least recently used half when the worker turns critical (heap, a stalled loop).
      new MemoryTier({ maxEntries: 10_000, loadSignal: monitor }),
      ...(redis ? [new RedisTier({ client: redis, prefix: 'express-auth:profiles:' })] : []),
    ],
    // Every write and delete is announced on the bus; the other workers drop their copy.
    bus,
    defaultTtlMs: 60_000,
    negativeTtlMs: 5_000, // "no such user" is cached briefly too; sign-up invalidates it
  });
  ctx.register(profiles);
  monitor.addCheck(profiles); // an open Redis breaker; added once the cache exists
  ctx.register(monitor);

  const loginLimiter = new RateLimiter({
    limit: 10,
    periodMs: 60_000,
    keyPrefix: 'express-auth:login:',
    // One limit for all workers and machines with Redis; in memory, each worker counts its own.
    ...(redis ? { store: new RedisRateLimitStore({ client: redis }) } : {}),
  });

  // This worker's metrics ride on its heartbeats to the primary, which serves them all on the
  // admin port, labelled worker="w0"… (series carry name="passwords" / name="profiles").
  const exporter = new PrometheusExporter();
  exporter.add('passwords', passwords.pool).add('profiles', profiles).add('health', monitor);
  exporter.add('login', loginLimiter); // loadstone_ratelimit_denied_total{name="login"}: the 429s
  ctx.useMetrics(exporter);

  if (bus instanceof RedisBus) await bus.ready(); // hear invalidations before serving
  const users = redis ? new RedisUserStore(redis) : new FileUserStore(DATA_DIR);
  return createServer(createApp({ slot: ctx.slot, users, passwords, profiles, loginLimiter, monitor }));
}

// The admin listener's /metrics: the primary's prom-client registry (built in every process, as
// these options are read everywhere, but served only by the primary).
const registry = new Registry();
const result = supervise(startWorker, {
  port: PORT,
  host: HOST,
  workers: WORKERS,
  env: REDIS_URL ? {} : { DATA_DIR },
  metrics: { port: ADMIN_PORT, host: HOST, registry },
});

if (result.role === 'primary') {
  const supervisor = result;
  const exporter = new PrometheusExporter();
  // loadstone_cluster_* (workers, restarts, memory, event loop…), every worker's families, and
  // the cluster bus relay's traffic (cache invalidations between workers).
  exporter.addSupervisor(supervisor).add('bus', supervisor.busRelay);
  exporter.register(registry);
  if (ownDataDir)
    supervisor.on('supervisor:stopped', () => rmSync(DATA_DIR, { recursive: true, force: true }));
  supervisor.start().then(
    () => {
      console.log(
        `express-auth: ${WORKERS} workers, ${REDIS_URL ? `Redis at ${REDIS_URL}` : `users in ${DATA_DIR}`}`,
      );
      console.log(
        `admin on http://${HOST}:${supervisor.metricsAddress?.port} (status page at /, /stats.json, /metrics)`,
      );
      console.log(`listening on http://${HOST}:${supervisor.port}`);
    },
    // supervise() has already reported the cause on stderr and is stopping with exit code 1.
    () => {},
  );
}
