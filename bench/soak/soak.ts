// Entry point of `npm run soak` (issue #21): examples/express-auth under the supervisor, with a
// steady mixed load for `--minutes` (10), a rolling reload every minute and one Redis restart
// half a minute after the middle one. Prints markdown on stdout (progress on stderr), writes it
// to `--out` too, and exits 1 when a criterion fails. Not in CI: it takes the whole run.
//
// Every child is bounded: the example runs in its own process group and is SIGKILLed as a group,
// redis-server is killed on exit, on SIGINT/SIGTERM and on an error.
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { getFreePort } from '../../test/helpers/redisServer.js';
import { machineInfo } from '../machine.js';
import { formatFixed, formatInt, markdownTable } from '../report.js';
import { type RunningExample, startExpressAuth } from './example.js';
import { FaultDriver, REDIS_DOWN_MS, RESTART_GRACE_MS, SoakRedis } from './faults.js';
import { GC_MIN_AGE_MS, MAX_GROWTH, spanLabel, spans } from './figures.js';
import { GcLog } from './gc.js';
import { MIX, MixedLoad, ROUTE_LABELS, ROUTES, signUpPool } from './load.js';
import { parseSoakArgs, type SoakOptions, USAGE } from './options.js';
import { resultSections } from './report.js';
import { fetchAdminStats, type Sample, takeSample, type WorkerReading, workerReading } from './sampler.js';
import { stderrSummary } from './stderr.js';

const WORKERS = 2;
const SCRYPT_COST = 1024;
const POOL_USERS = 1000;
const PASSWORD = 'correct horse battery';
const TIMEOUT_MS = 5_000;
const SAMPLE_EVERY_MS = 5_000;
const READING_EVERY_MS = 1_000;
const LOGIN_LIMIT_PER_MINUTE = 10;

const log = (line: string): void => {
  process.stderr.write(`soak: ${line}\n`);
};
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const loads = (): string =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(', ');

/** Everything to undo, whatever way the run ends. */
const children: { app?: RunningExample; redis?: SoakRedis; load?: MixedLoad; tmp?: string } = {};

function killChildrenNow(): void {
  children.load?.abort();
  children.app?.killGroup(); // SIGKILL to the example's process group (primary and workers)
  // redis-server: startRedis registered its own SIGKILL on process exit.
}

/** Removes the run's temp directory (best effort: redis-server may still be writing into it). */
function removeTmp(): void {
  if (children.tmp === undefined) return;
  try {
    rmSync(children.tmp, { recursive: true, force: true, maxRetries: 3 });
  } catch {
    // left behind; the next attempt or the OS's temp cleaning removes it
  }
}

async function waitForWorkers(adminUrl: string, deadlineMs: number): Promise<void> {
  for (;;) {
    const stats = await fetchAdminStats(adminUrl).catch(() => undefined);
    const ready = stats?.workers.filter((w) => w.state === 'ready' && w.lastHeartbeatAgeMs >= 0) ?? [];
    if (ready.length === WORKERS) return;
    if (performance.now() > deadlineMs)
      throw new Error(`${WORKERS} workers not ready: ${JSON.stringify(stats)}`);
    await sleep(200);
  }
}

function reloadTimes(minutes: number): string {
  const times = Array.from({ length: minutes - 1 }, (_, i) => (i + 1) * 60);
  return times.length <= 3 ? times.join(', ') : `${times[0]}, ${times[1]}, …, ${times.at(-1)}`;
}

function settingsTable(o: SoakOptions, restartAtMs: number, started: Date, loadStart: string): string {
  const loginsPerUserMinute = (o.rate * MIX.login * 60) / POOL_USERS;
  const mix = ROUTES.map((r) => `${Math.round(MIX[r] * 100)} % ${ROUTE_LABELS[r]}`).join(', ');
  const rows: [string, string][] = [
    ['started', started.toISOString()],
    ['length', `${o.minutes} min of load, after signing up ${formatInt(POOL_USERS)} users`],
    [
      'server',
      `examples/express-auth under \`supervise()\` with \`node --trace-gc\`, on a free port (not PORT=0: see bench/soak/soak.ts), WORKERS=${WORKERS}, SCRYPT_COST=${SCRYPT_COST}, REDIS_URL (users, cache tier, bus, rate limit in Redis); loadstone from dist/ (built by the script)`,
    ],
    [
      'redis',
      `redis-server on a loopback port, \`--appendonly yes --appendfsync everysec\` in a temp dir (the users survive its restart)`,
    ],
    [
      'load',
      `${o.rate} requests/s paced, at most ${o.concurrency} in flight (a request due beyond that is skipped and counted), one keep-alive \`http.Agent\`, no retries, ${TIMEOUT_MS / 1000} s timeout`,
    ],
    ['mix', mix],
    [
      'users',
      `logins round-robin over the ${formatInt(POOL_USERS)} signed-up users (≈ ${formatFixed(loginsPerUserMinute, 1)} per user per minute; the limit is ${LOGIN_LIMIT_PER_MINUTE}); profiles of a random one of the last ${formatInt(POOL_USERS)} signed up (a fixed-size working set); sign-ups of new names`,
    ],
    [
      'faults',
      `a rolling reload (SIGHUP to the primary) at ${reloadTimes(o.minutes)} s, done when the admin stats count it (every old worker exited); Redis stopped (SIGTERM) at ${restartAtMs / 1000} s, restarted ${REDIS_DOWN_MS / 1000} s later on the same port and directory`,
    ],
    [
      'restart window',
      `from the SIGTERM to Redis until ${RESTART_GRACE_MS / 1000} s after the new redis-server accepts connections: a request overlapping it may fail`,
    ],
    [
      'failure',
      'a connection error, no answer within the timeout, or a 5xx, except 503 from `GET /health/ready` (a draining or unhealthy worker saying so, counted as "503 ready"); 429 is counted apart; any other 4xx is a wrong answer',
    ],
    [
      'sampling',
      `every ${SAMPLE_EVERY_MS / 1000} s: /proc/<pid>/fd and VmRSS of the primary and each worker, the workers' heap and RSS from the admin JSON (heartbeats), redis-server \`connected_clients\`; the tables average the steady samples (${WORKERS} workers, all ready, no reload running). Every ${READING_EVERY_MS / 1000} s: each worker's health (status, reasons, requests shed) from the admin JSON. Continuously: every full GC of every process (\`node --trace-gc\`, inherited by the workers) and the heap it left`,
    ],
    [
      'flat',
      `${spanLabel(spans(o.minutes).base)} (after the first minute's warm-up) against ${spanLabel(spans(o.minutes).end)}: growth under ${MAX_GROWTH * 100} %. The workers are new every minute, so descriptors and RSS are cluster-wide sums, and the heap is the mean heap left by a worker's full GC once it is ${GC_MIN_AGE_MS / 1000} s old (heapUsed between collections is a sawtooth). The primary is judged by its descriptors and RSS: it runs few full GCs, its heap after them is printed where there were some`,
    ],
    ['load average at start', loadStart],
  ];
  return markdownTable(['run', ''], rows);
}

async function main(options: SoakOptions): Promise<number> {
  if (!existsSync('/proc/self/fd')) throw new Error('the soak reads /proc: it runs on Linux only');
  const started = new Date();
  const loadStart = loads();
  // Read now: a rolling reload loads the code on disk, so the revision the run began with is the one to name.
  const machine = machineInfo(['express', 'ioredis'], false);
  const durationMs = options.minutes * 60_000;
  const restartAtMs = Math.floor(options.minutes / 2) * 60_000 + 30_000;
  const tmp = mkdtempSync(join(tmpdir(), 'loadstone-soak-'));
  children.tmp = tmp;
  mkdirSync(join(tmp, 'redis'));
  const exampleLog = createWriteStream(join(tmp, 'example.log'));
  const stderrLines: string[] = [];

  const redis = new SoakRedis(join(tmp, 'redis'));
  children.redis = redis;
  await redis.start();
  log(`redis-server on ${redis.url} (dir ${redis.dir})`);

  // Every figure is on one clock, in milliseconds since the load started (negative before).
  let t0: number | undefined;
  const now = (): number => (t0 === undefined ? -1 : performance.now() - t0);
  const gc = new GcLog();
  const bootDeadline = performance.now() + 120_000;
  // A concrete free port, as in production, not `PORT=0`: since 037cd20 a replacement worker is
  // told the port the first worker got and its bind fails (EADDRINUSE) while another worker still
  // holds the cluster's handle for port 0, so no reload or restart could complete.
  const port = await getFreePort();
  const app = await startExpressAuth({
    env: {
      PORT: String(port),
      WORKERS: String(WORKERS),
      SCRYPT_COST: String(SCRYPT_COST),
      REDIS_URL: redis.url,
    },
    timeoutMs: 120_000,
    onStdout: (line) => {
      exampleLog.write(`${line}\n`);
      gc.read(line, now());
    },
    onStderr: (line) => {
      exampleLog.write(`${line}\n`);
      if (stderrLines.length < 100_000) stderrLines.push(line);
    },
  });
  children.app = app;
  const { primaryPid, adminUrl } = app;
  await waitForWorkers(adminUrl, bootDeadline);
  const { hostname } = new URL(app.url);
  log(`express-auth: primary ${primaryPid}, ${app.url}, admin ${adminUrl}`);

  const signupStart = performance.now();
  const loginUsers = await signUpPool({
    host: hostname,
    port,
    count: POOL_USERS,
    concurrency: options.concurrency,
    password: PASSWORD,
  });
  const signupMs = performance.now() - signupStart;
  log(`signed up ${POOL_USERS} users in ${formatFixed(signupMs / 1000, 1)} s`);

  const load = new MixedLoad({
    host: hostname,
    port,
    rate: options.rate,
    concurrency: options.concurrency,
    durationMs,
    timeoutMs: TIMEOUT_MS,
    password: PASSWORD,
    loginUsers,
    profileWindow: POOL_USERS,
    seed: 21,
  });
  children.load = load;
  const info = new Redis(redis.url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: 2_000,
  });
  info.on('error', () => {}); // reconnects by itself after the restart
  const faults = new FaultDriver({ primaryPid, adminUrl, redis, now, log });
  const samples: Sample[] = [];

  t0 = performance.now();
  load.start(t0);
  log(`load started: ${options.rate} req/s for ${options.minutes} min`);
  const sampling = (async () => {
    let next = SAMPLE_EVERY_MS;
    let minute = 0;
    while (load.now() < durationMs) {
      await sleep(Math.max(0, next - load.now()));
      if (load.now() >= durationMs) break;
      const atMs = load.now();
      next += SAMPLE_EVERY_MS;
      try {
        const clientSockets = load.openSockets;
        const sample = await takeSample({
          atMs,
          primaryPid,
          adminUrl,
          workers: WORKERS,
          clientSockets,
          redis: info,
          reloading: faults.reloading,
        });
        samples.push(sample);
      } catch (error) {
        log(`sample at ${(atMs / 1000).toFixed(1)} s failed: ${String(error)}`);
      }
      const done = Math.floor(load.now() / 60_000);
      if (done > minute) {
        const t = load.minutes[minute];
        if (t !== undefined) {
          log(
            `minute ${minute + 1}: ${t.sent} sent, ${t.ok} 2xx, ${t.failed} failed, ${t.unexpected} wrong, ${t.skipped} skipped (load average ${loads()})`,
          );
        }
        minute = done;
      }
    }
  })();
  const readings: WorkerReading[] = [];
  const polling = (async () => {
    while (now() < durationMs) {
      await sleep(READING_EVERY_MS);
      const stats = await fetchAdminStats(adminUrl).catch(() => undefined);
      if (stats !== undefined && now() < durationMs) {
        readings.push(workerReading(stats, now(), WORKERS, faults.reloading));
      }
    }
  })();
  const faulting = faults.run(options.minutes, restartAtMs);
  await Promise.all([load.finished(), sampling, faulting, polling]);
  // Raw figures, for a failed run (the directory is kept then).
  writeFileSync(join(tmp, 'samples.json'), JSON.stringify({ samples, readings, fullGcs: gc.fullGcs }));
  const loadEnd = loads();
  const final = await fetchAdminStats(adminUrl).catch(() => undefined);
  info.disconnect();
  log('load finished; stopping the example (SIGTERM)');

  const stopStart = performance.now();
  const exit = await app.stop(30_000);
  const stopMs = performance.now() - stopStart;
  children.app = undefined;
  await redis.stop();
  children.redis = undefined;
  await new Promise((r) => exampleLog.end(r));

  const result = {
    minutes: options.minutes,
    workers: WORKERS,
    primaryPid,
    load,
    samples,
    readings,
    gc,
    faults,
  };
  const sections = resultSections(result);
  const exitOk = exit.code === 0;
  const run = markdownTable(
    ['end of run', ''],
    [
      ['users signed up before the load', `${formatInt(POOL_USERS)} in ${formatFixed(signupMs / 1000, 1)} s`],
      ['users signed up during the load', formatInt(load.signedUp)],
      ['samples', `${samples.length} (${samples.filter((s) => s.steady).length} steady)`],
      [
        'supervisor counters at the end',
        final === undefined
          ? 'admin stats unavailable'
          : `${final.reloads} reloads, ${final.crashes} crashes, ${final.restarts} restarts, ${final.droppedMessages} dropped messages`,
      ],
      ['full GCs traced (all processes and isolates)', formatInt(gc.fullGcs.length)],
      [
        'SIGTERM to the primary at the end',
        `exit ${exit.code ?? exit.signal} after ${formatInt(stopMs)} ms${exitOk ? '' : ' (expected 0)'}`,
      ],
      ['load average at end', loadEnd],
    ],
  );
  const markdown = [
    '# loadstone soak: examples/express-auth under the supervisor',
    machine,
    settingsTable(options, restartAtMs, started, loadStart),
    sections.markdown,
    run,
    `## The example's stderr\n\n${stderrSummary(stderrLines)}`,
    'Latencies are measured by a client on the same 2 shared cores as the server, redis-server and ' +
      'other jobs on the machine: read them with the load average beside them. The pass/fail criteria ' +
      'are counts and means, not latencies.',
  ].join('\n\n');
  process.stdout.write(`${markdown}\n`);
  if (options.out !== undefined) {
    const file = resolve(options.out);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${markdown}\n`);
    log(`wrote ${file}`);
  }
  const passed = sections.passed && exitOk;
  if (passed) rmSync(tmp, { recursive: true, force: true });
  else log(`FAIL: kept ${tmp} (example.log has the example's output)`);
  return passed ? 0 : 1;
}

let parsed: ReturnType<typeof parseSoakArgs>;
try {
  parsed = parseSoakArgs(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exit(2);
}
if (parsed.help) {
  process.stdout.write(`${USAGE}\n`);
} else {
  process.on('exit', killChildrenNow);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      log(`${signal}: killing the example and redis-server`);
      killChildrenNow();
      // At once too: the tsx CLI SIGKILLs its child when a relayed signal is not acknowledged in time.
      removeTmp();
      void (children.redis?.stop() ?? Promise.resolve()).finally(() => {
        removeTmp();
        process.exit(130);
      });
    });
  }
  try {
    process.exitCode = await main(parsed);
  } catch (error) {
    log(`error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    killChildrenNow();
    await children.redis?.stop();
    if (children.tmp !== undefined) log(`kept ${children.tmp} (example.log has the example's output)`);
    process.exitCode = 1;
  }
  // Open handles (an ioredis reconnect timer, a pending sample) must not keep the process alive.
  process.exit();
}
