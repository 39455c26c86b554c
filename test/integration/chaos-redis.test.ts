// Chaos suite, Redis half (#21): every loadstone part with a Redis side goes through each Redis
// fault at once: killed (SIGKILL) and restarted, frozen (SIGSTOP: hung, not dead), black-holed,
// slowed and reset (the last three by test/helpers/faultProxy.ts between the clients and Redis).
// For each fault it checks what docs/testing.md ("Chaos suite") promises:
// - no call waits past its documented bound (the part's own timeout, plus scheduling slack);
// - no unhandled error or rejection, and no "[ioredis] Unhandled error event" line;
// - no accepted work lost: every job whose `add` resolved runs;
// - full service again within RECOVERY_MS after the fault ends, measured and printed.
// Real redis-server (AOF, appendfsync always, so a killed server keeps what it acknowledged).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { MemoryTier, RedisBus, RedisLock, RedisTier, TieredCache } from '../../src/cache/index.js';
import { JobQueue, JobWorker, RedisJobStore } from '../../src/jobs/index.js';
import { RateLimiter, RedisRateLimitStore } from '../../src/resilience/index.js';
import { type FaultProxyHandle, startFaultProxy } from '../helpers/faultProxy.js';
import { freezeProcess, thawAll, thawProcess } from '../helpers/freezeProcess.js';
import { type RedisServerHandle, redisAvailability, startDurableRedis } from '../helpers/redis.js';
import { until } from '../helpers/until.js';

const availability = redisAvailability();
if (availability.mode === 'skip')
  console.warn('\n  redis-server NOT FOUND on PATH: SKIPPING the Redis chaos suite.\n');
const describeChaos = availability.mode === 'skip' ? describe.skip : describe;

/** The parts' timeouts in this suite; each call's bound is its timeout plus SLACK_MS. */
const TIER_TIMEOUT_MS = 200;
const STORE_TIMEOUT_MS = 300;
const COMMAND_TIMEOUT_MS = 1_000;
const BUS_TIMEOUT_MS = 1_000;
/** Scheduling slack on a 2-core shared machine: a bound that holds only without it is no bound. */
const SLACK_MS = 1_500;
/** How long a fault lasts. */
const FAULT_MS = 2_000;
/** Full service again within this long after the fault ends (docs/testing.md). */
const RECOVERY_MS = 10_000;

type Fault = {
  readonly name: string;
  begin(redis: Durable, proxy: FaultProxyHandle): Promise<void>;
  end(redis: Durable, proxy: FaultProxyHandle): Promise<void>;
};

type Durable = { server: RedisServerHandle; readonly port: number; readonly dir: string };

const FAULTS: readonly Fault[] = [
  {
    name: 'Redis killed (SIGKILL) and restarted',
    begin: async (redis) => {
      process.kill(redis.server.pid, 'SIGKILL');
      await redis.server.stop();
    },
    end: async (redis) => {
      redis.server = await durable(redis.port, redis.dir);
    },
  },
  {
    name: 'Redis frozen (SIGSTOP)',
    begin: (redis) => freezeProcess(redis.server.pid),
    end: (redis) => thawProcess(redis.server.pid),
  },
  {
    name: 'the route black-holed',
    begin: (_, proxy) => proxy.setMode('blackhole'),
    end: (_, proxy) => proxy.setMode('pass'),
  },
  {
    name: 'the route slowed to 1.5 s per packet',
    begin: (_, proxy) => proxy.setMode({ kind: 'delay', delayMs: 1_500 }),
    end: (_, proxy) => proxy.setMode('pass'),
  },
  {
    name: 'every connection reset',
    begin: (_, proxy) => proxy.setMode('reset'),
    end: (_, proxy) => proxy.setMode('pass'),
  },
];

const servers: RedisServerHandle[] = [];
const dirs: string[] = [];

async function durable(
  port?: number,
  dir = mkdtempSync(join(tmpdir(), 'loadstone-chaos-')),
): Promise<RedisServerHandle> {
  if (!dirs.includes(dir)) dirs.push(dir);
  const server = await startDurableRedis(dir, port);
  servers.push(server);
  return server;
}

/** The clients a user would make: ioredis defaults, with a short reconnect interval. */
function connect(url: string, clients: Redis[]): Redis {
  const client = new Redis(url, { retryStrategy: () => 100, maxRetriesPerRequest: 1 });
  client.on('error', () => undefined);
  clients.push(client);
  return client;
}

/** Runs `call`, records how long it took against `boundMs`, and never rejects. */
async function timed<T>(
  slow: string[],
  what: string,
  boundMs: number,
  call: () => Promise<T>,
): Promise<T | undefined> {
  const t0 = performance.now();
  try {
    return await call();
  } catch {
    return undefined;
  } finally {
    const ms = performance.now() - t0;
    if (ms > boundMs + SLACK_MS) slow.push(`${what} took ${Math.round(ms)} ms (bound ${boundMs} ms)`);
  }
}

describeChaos('chaos: every Redis part through every Redis fault', () => {
  const consoleErrors: string[] = [];
  afterEach(() => {
    thawAll();
    vi.restoreAllMocks();
  });
  afterAll(async () => {
    thawAll();
    await Promise.all(servers.map((server) => server.stop()));
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  for (const fault of FAULTS) {
    it(`${fault.name}: bounded calls, nothing unhandled, no accepted job lost, full service after`, {
      timeout: 90_000,
    }, async () => {
      vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => {
        consoleErrors.push(args.map(String).join(' '));
      });
      const first = await durable();
      const redis: Durable = { server: first, port: first.port, dir: dirs[dirs.length - 1] as string };
      const proxy = await startFaultProxy({ target: { host: first.host, port: first.port } });
      const clients: Redis[] = [];
      const slow: string[] = [];
      const suffix = Math.random().toString(36).slice(2, 8);

      // The parts, each on its own client through the proxy, as separate processes would be.
      const cache = (): TieredCache<string> => {
        const client = connect(proxy.url, clients);
        return new TieredCache<string>({
          tiers: [new MemoryTier({ maxEntries: 1_000 }), new RedisTier({ client, prefix: `c${suffix}:` })],
          bus: new RedisBus({
            client: connect(proxy.url, clients),
            closeTimeoutMs: BUS_TIMEOUT_MS,
            commandTimeoutMs: BUS_TIMEOUT_MS,
          }),
          lock: new RedisLock({ client }),
          tierTimeoutMs: TIER_TIMEOUT_MS,
          tierOpenDurationMs: 500,
          defaultTtlMs: 60_000,
        });
      };
      const [cacheA, cacheB] = [cache(), cache()];
      const limiter = new RateLimiter({
        limit: 1_000_000,
        periodMs: 1_000,
        store: new RedisRateLimitStore({ client: connect(proxy.url, clients) }),
        storeTimeoutMs: STORE_TIMEOUT_MS,
      });
      const store = new RedisJobStore({
        client: connect(proxy.url, clients),
        commandTimeoutMs: COMMAND_TIMEOUT_MS,
      });
      const queue = new JobQueue<string>({ name: `chaos-${suffix}`, store });
      const ran = new Set<string>();
      const worker = new JobWorker<string>({
        queue,
        concurrency: 4,
        visibilityTimeoutMs: 1_500,
        pollIntervalMs: 100,
        handler: async (job) => {
          ran.add(job.data);
        },
      });
      const bus = new RedisBus({
        client: connect(proxy.url, clients),
        closeTimeoutMs: BUS_TIMEOUT_MS,
        commandTimeoutMs: BUS_TIMEOUT_MS,
      });
      const heard: string[] = [];
      const subscription = bus.subscribe(`chaos-${suffix}`, (message) => void heard.push(String(message)));
      await bus.ready();

      // Steady traffic on every part, before, during and after the fault.
      const accepted = new Set<string>();
      let n = 0;
      let running = true;
      const traffic = (async () => {
        while (running) {
          const i = n++;
          await Promise.all([
            timed(slow, 'cache getOrSet', 4 * TIER_TIMEOUT_MS, () =>
              cacheA.getOrSet(`k${i % 20}`, async () => `v${i}`),
            ),
            timed(slow, 'limiter limit', STORE_TIMEOUT_MS, () => limiter.limit(`u${i % 5}`)),
            timed(slow, 'queue add', COMMAND_TIMEOUT_MS, async () => {
              await queue.add(`j${i}`);
              accepted.add(`j${i}`);
            }),
            timed(slow, 'bus publish', BUS_TIMEOUT_MS, () => bus.publish(`chaos-${suffix}`, `m${i}`)),
          ]);
          await new Promise((resolve) => setTimeout(resolve, 25));
        }
      })();

      await until(() => accepted.size >= 5 && ran.size >= 5, 20_000, 20);
      await fault.begin(redis, proxy);
      await new Promise((resolve) => setTimeout(resolve, FAULT_MS));
      await fault.end(redis, proxy);
      const healedAt = performance.now();

      // Full service: an invalidation from one cache reaches the other, the limiter decides from
      // Redis again, a job added now runs, and a message published now is heard. Each probe is
      // sent again every second until it holds (what was sent during the reconnect may be lost).
      const pending = { cache: true, limiter: true, job: true, bus: true };
      let probe = 0;
      let probeKey = '';
      let probeJob = '';
      let probeMessage = '';
      let sentAt = Number.NEGATIVE_INFINITY;
      await until(
        async () => {
          if (performance.now() - sentAt >= 1_000) {
            sentAt = performance.now();
            probe++;
            if (pending.cache) {
              probeKey = `probe-${probe}`;
              await cacheB.set(probeKey, 'old');
              await cacheA.get(probeKey); // A now holds 'old' in memory
              await cacheB.set(probeKey, 'new'); // ...until B's invalidation reaches it
            }
            if (pending.job) {
              const id = `probe-${probe}`;
              if (
                await queue.add(id).then(
                  () => true,
                  () => false,
                )
              ) {
                accepted.add(id);
                probeJob = id;
              }
            }
            if (pending.bus) {
              probeMessage = `probe-${probe}`;
              await bus.publish(`chaos-${suffix}`, probeMessage).catch(() => undefined);
            }
          }
          if (pending.cache && (await cacheA.get(probeKey)) === 'new') pending.cache = false;
          if (pending.limiter && !(await limiter.limit('probe')).degraded) pending.limiter = false;
          if (pending.job && probeJob !== '' && ran.has(probeJob)) pending.job = false;
          if (pending.bus && heard.includes(probeMessage)) pending.bus = false;
          return !pending.cache && !pending.limiter && !pending.job && !pending.bus;
        },
        RECOVERY_MS,
        50,
      ).catch(() => {
        throw new Error(
          `no full service within ${RECOVERY_MS} ms of the fault's end: ${JSON.stringify(pending)}`,
        );
      });
      const recoveryMs = performance.now() - healedAt;
      running = false;
      await traffic;

      // Every accepted job runs (a job whose take timed out waits out its lease).
      await until(() => [...accepted].every((id) => ran.has(id)), RECOVERY_MS, 50).catch(() => {
        const lost = [...accepted].filter((id) => !ran.has(id));
        throw new Error(`${lost.length} accepted jobs never ran: ${lost.slice(0, 10).join(', ')}`);
      });
      console.log(
        `[chaos] ${fault.name}: full service ${Math.round(recoveryMs)} ms after the fault ended; ` +
          `${accepted.size} jobs accepted, all ran; ${n} rounds of calls`,
      );

      subscription[Symbol.dispose]();
      await Promise.all([cacheA.close(), cacheB.close(), worker.close(), bus.close(), queue.close()]);
      await store.close();
      await proxy.close();
      for (const client of clients) client.disconnect();
      await redis.server.stop();

      expect(slow).toEqual([]);
      expect(consoleErrors.filter((line) => line.includes('Unhandled error event'))).toEqual([]);
    });
  }
});
