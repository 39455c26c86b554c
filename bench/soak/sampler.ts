// What the soak samples every few seconds: open file descriptors and RSS of the primary and of
// each worker from /proc, each worker's heap and RSS from the primary's admin JSON (the workers'
// heartbeats), the client's open sockets, and redis-server's connected_clients.
import { readdirSync, readFileSync } from 'node:fs';
import { get } from 'node:http';
import type { Redis } from 'ioredis';

/** The parts of the admin port's `GET /` (ClusterStats) the soak reads. */
export type AdminStats = {
  readonly state: string;
  readonly reloads: number;
  readonly crashes: number;
  readonly restarts: number;
  readonly droppedMessages: number;
  readonly workers: readonly {
    readonly slot: string;
    readonly pid: number;
    readonly state: string;
    readonly uptimeMs: number;
    readonly heapUsedBytes: number;
    readonly rssBytes: number;
    readonly lastHeartbeatAgeMs: number;
    /** The worker's HealthMonitor snapshot, from its latest heartbeat. */
    readonly health?: {
      readonly status: string;
      readonly reasons?: readonly string[];
      readonly shedRequests?: number;
      readonly eventLoopDelay?: { readonly p99: number };
    };
  }[];
};

export type WorkerSample = {
  readonly slot: string;
  readonly pid: number;
  readonly state: string;
  readonly uptimeMs: number;
  /** `undefined` when the process was gone by the time /proc was read. */
  readonly fds: number | undefined;
  readonly heapUsedBytes: number;
  readonly rssBytes: number;
};

export type Sample = {
  /** Milliseconds since the start of the load. */
  readonly atMs: number;
  readonly primaryFds: number | undefined;
  readonly primaryRssBytes: number | undefined;
  readonly workers: readonly WorkerSample[];
  /** Sockets the load's keep-alive agent held open. */
  readonly clientSockets: number;
  /** `undefined` while Redis is down. */
  readonly redisClients: number | undefined;
  /**
   * Taken with exactly the configured number of workers, all ready and heard from, and no rolling
   * reload in progress: the samples the per-minute means and the growth criteria use.
   */
  readonly steady: boolean;
};

/** The workers as the admin JSON had them at one moment (polled every second). */
export type WorkerReading = {
  readonly atMs: number;
  /** As in {@link Sample.steady}. */
  readonly steady: boolean;
  readonly workers: readonly {
    readonly slot: string;
    readonly pid: number;
    readonly state: string;
    readonly uptimeMs: number;
    readonly heapUsedBytes: number;
    /** `healthy`, `degraded`, `critical`, or `undefined` before its first heartbeat. */
    readonly status: string | undefined;
    readonly reasons: readonly string[];
    /** Requests its HealthMonitor's load shedding refused (503) since it started. */
    readonly shedRequests: number;
    readonly eventLoopDelayP99Ms: number | undefined;
  }[];
};

/** A {@link WorkerReading} from the admin stats. */
export function workerReading(
  stats: AdminStats,
  atMs: number,
  workers: number,
  reloading: boolean,
): WorkerReading {
  const steady =
    !reloading &&
    stats.state === 'running' &&
    stats.workers.length === workers &&
    stats.workers.every((w) => w.state === 'ready' && w.heapUsedBytes > 0);
  return {
    atMs,
    steady,
    workers: stats.workers.map((w) => ({
      slot: w.slot,
      pid: w.pid,
      state: w.state,
      uptimeMs: w.uptimeMs,
      heapUsedBytes: w.heapUsedBytes,
      status: w.health?.status,
      reasons: w.health?.reasons ?? [],
      shedRequests: w.health?.shedRequests ?? 0,
      eventLoopDelayP99Ms: w.health?.eventLoopDelay?.p99,
    })),
  };
}

/** Open file descriptors of `pid` (entries of /proc/<pid>/fd), or `undefined` if it is gone. */
export function countFds(pid: number): number | undefined {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return undefined;
  }
}

/** Resident set size of `pid` in bytes (VmRSS of /proc/<pid>/status), or `undefined` if it is gone. */
export function rssOf(pid: number): number | undefined {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match?.[1] === undefined ? undefined : Number(match[1]) * 1024;
  } catch {
    return undefined;
  }
}

/**
 * The admin port's JSON stats, over a fresh connection that is closed afterwards (`agent: false`),
 * so the sampler leaves no socket open in the primary between samples.
 */
export function fetchAdminStats(adminUrl: string, timeoutMs = 3_000): Promise<AdminStats> {
  return new Promise((resolve, reject) => {
    const req = get(`${adminUrl}/`, { agent: false, timeout: timeoutMs }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (chunk: string) => {
        text += chunk;
      });
      res.on('end', () => {
        try {
          if (res.statusCode !== 200) throw new Error(`admin GET / answered ${res.statusCode}`);
          resolve(JSON.parse(text) as AdminStats);
        } catch (error) {
          reject(error);
        }
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`admin GET / timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

/** redis-server's `connected_clients` (this sampler's own connection included), or `undefined` when down. */
export async function redisClients(redis: Redis): Promise<number | undefined> {
  try {
    const info = await redis.info('clients');
    const match = /^connected_clients:(\d+)/m.exec(info);
    return match?.[1] === undefined ? undefined : Number(match[1]);
  } catch {
    return undefined;
  }
}

export type SampleInput = {
  readonly atMs: number;
  readonly primaryPid: number;
  readonly adminUrl: string;
  readonly workers: number;
  readonly clientSockets: number;
  readonly redis: Redis;
  /** A rolling reload is in progress (the fault driver knows). */
  readonly reloading: boolean;
};

/**
 * Takes one sample. The primary's descriptors are counted before the admin request, so the
 * sampler's own connection is never among them.
 */
export async function takeSample(input: SampleInput): Promise<Sample> {
  const primaryFds = countFds(input.primaryPid);
  const primaryRssBytes = rssOf(input.primaryPid);
  const stats = await fetchAdminStats(input.adminUrl);
  const workers = stats.workers.map(
    (w): WorkerSample => ({
      slot: w.slot,
      pid: w.pid,
      state: w.state,
      uptimeMs: w.uptimeMs,
      fds: countFds(w.pid),
      heapUsedBytes: w.heapUsedBytes,
      rssBytes: w.rssBytes,
    }),
  );
  const steady =
    !input.reloading &&
    stats.state === 'running' &&
    workers.length === input.workers &&
    workers.every((w) => w.state === 'ready' && w.heapUsedBytes > 0 && w.fds !== undefined) &&
    primaryFds !== undefined;
  return {
    atMs: input.atMs,
    primaryFds,
    primaryRssBytes,
    workers,
    clientSockets: input.clientSockets,
    redisClients: await redisClients(input.redis),
    steady,
  };
}
