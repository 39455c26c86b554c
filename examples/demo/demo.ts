// `npm run demo`: the express-auth example (examples/express-auth) under load, on embedded defaults
// (no Redis). It runs the server twice as a child process under `supervise()`: first with one
// worker, then with two (the supervisor forks them; either way the primary supervises and the
// workers serve). Each run gets the same load: keep-alive clients reading profiles (mostly),
// logging in (spread over many users, so the per-user rate limiter rarely says 429) and probing
// liveness. In the clustered run a rolling reload (SIGHUP) happens under load (paced at half the
// throughput just measured); every request sent meanwhile must succeed. Then it prints the report
// and stops everything it started.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type AdminStats, adminStats, profileCache } from './admin.js';
import {
  isInterrupted,
  type Server,
  type Stopped,
  startServer,
  stopAllOnSignals,
  stopServer,
} from './child.js';
import { htmlReport } from './htmlReport.js';
import { type Call, failures, type LoadRun, send, startLoad, type Window } from './load.js';
import { formatReport, type PhaseResult, Progress, throughput } from './report.js';
import { Timeline } from './timeline.js';

const USERS = 200;
const CONNECTIONS = 12;
const WARMUP_MS = 1_000;
const MEASURE_MS = 3_000;
/** Load kept up after the reload completed, so late failures (a reset socket) would still show. */
const AFTER_RELOAD_MS = 1_000;
const RELOAD_TIMEOUT_MS = 30_000;
/** The load during the reload, as a fraction of the clustered throughput just measured. */
const RELOAD_LOAD = 0.5;

const t0 = performance.now();
const loadAverage = loadavg()[0] ?? 0;
const dataDir = mkdtempSync(join(tmpdir(), 'loadstone-demo-'));
const removeDataDir = () => rmSync(dataDir, { recursive: true, force: true });
const progress = new Progress();
stopAllOnSignals(() => {
  progress.stop();
  removeDataDir();
});

const users = Array.from({ length: USERS }, (_, i) => ({
  username: `user${String(i).padStart(4, '0')}`,
  password: `correct horse ${i}`,
}));
const pids = new Set<number>();
const stops: Stopped[] = [];

/** The load mix: 8 in 10 profile reads, 1 login (round-robin over the users), 1 liveness probe. */
function mix(): () => Call {
  let n = 0;
  let nextLogin = 0;
  return () => {
    n++;
    if (n % 10 === 0) {
      const user = users[nextLogin++ % USERS] as (typeof users)[number];
      return { method: 'POST', path: '/login', body: user };
    }
    // Liveness, not readiness: a draining worker rightly answers /health/ready with 503 (that is
    // how a load balancer learns to stop sending), which is not a failed request.
    if (n % 10 === 5) return { method: 'GET', path: '/health/live' };
    const user = users[Math.floor(Math.random() * USERS)] as (typeof users)[number];
    return { method: 'GET', path: `/profiles/${user.username}` };
  };
}

async function seed(port: number): Promise<number> {
  const started = performance.now();
  const agent = new Agent({ keepAlive: true, maxSockets: 8 });
  let next = 0;
  const worker = async () => {
    while (next < USERS) {
      const user = users[next++] as (typeof users)[number];
      for (;;) {
        const { status, body } = await send(
          agent,
          port,
          { method: 'POST', path: '/signup', body: user },
          10_000,
        );
        if (status === 201) break;
        // Set-up, not measurement: on a busy machine the server may shed (503) or its password
        // queue may be full (503); come back shortly, within a bound.
        if (status !== 503 || performance.now() - started > 30_000)
          throw new Error(`POST /signup ${user.username} answered ${status}: ${body}`);
        await sleep(100);
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  agent.destroy();
  return (performance.now() - started) / 1000;
}

/**
 * Waits (up to 5 s) until no worker is critical any more, so the reload starts from a server that
 * is not shedding; returns the load's window meanwhile.
 */
async function settle(stats: () => Promise<AdminStats>, run: LoadRun): Promise<Window> {
  const deadline = performance.now() + 5_000;
  await sleep(500);
  while ((await stats()).health?.status === 'critical' && performance.now() < deadline) await sleep(250);
  return run.cut();
}

/** Polls the admin JSON every 250 ms: records every worker pid and event-loop delay sample. */
function watch(server: Server) {
  let samples: Record<string, number[]> = {};
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      try {
        for (const w of (await adminStats(server.adminUrl)).workers) {
          pids.add(w.pid);
          if (w.state === 'ready' && w.eventLoopDelayP99Ms > 0)
            samples[w.slot] = [...(samples[w.slot] ?? []), w.eventLoopDelayP99Ms];
        }
      } catch {
        // the admin listener is briefly unavailable while stopping
      }
      await sleep(250);
    }
  })();
  return {
    /** Fresh stats now (not the last poll's). */
    now: () => adminStats(server.adminUrl),
    /** Per worker slot, the mean event-loop delay p99 of the heartbeats since the last call. */
    cut(): Record<string, number> {
      const taken = samples;
      samples = {};
      return Object.fromEntries(
        Object.entries(taken).map(([slot, v]) => [slot, v.reduce((a, b) => a + b, 0) / v.length]),
      );
    },
    async stop() {
      stopped = true;
      await loop;
    },
  };
}

async function phase(workers: number, options: { seed: boolean; reload: boolean }) {
  let run: LoadRun | undefined;
  const timeline = new Timeline();
  const stage = (name: string): void => {
    progress.stage(name);
    if (run !== undefined) timeline.mark(name);
  };
  progress.start(`WORKERS=${workers}`, () => run?.totals);
  stage('starting');
  const server = await startServer({
    HOST: '127.0.0.1',
    PORT: '0',
    ADMIN_PORT: '0',
    WORKERS: String(workers),
    SCRYPT_COST: '1024', // 2^10 instead of 2^14: a short demo, the same code path
    DATA_DIR: dataDir, // one user database for both runs: seeded once
  });
  pids.add(server.pid);
  const admin = watch(server);
  try {
    let seedSeconds = 0;
    if (options.seed) {
      stage('seeding');
      seedSeconds = await seed(server.port);
    }
    run = startLoad({ port: server.port, connections: CONNECTIONS, next: mix(), timeline });
    stage('warm-up');
    await sleep(WARMUP_MS);
    const warmup = run.cut();
    admin.cut();
    stage('measuring');
    await sleep(MEASURE_MS);
    const steady = run.cut();
    const eventLoop = admin.cut();
    const cache = await profileCache(server.adminUrl);
    const health = (await admin.now()).health;
    let reload: PhaseResult['reload'];
    const windows = [warmup, steady];
    if (options.reload) {
      // A rolling reload is routine maintenance, done under ordinary traffic rather than at the
      // saturation just measured: at 100 % event-loop utilisation the workers' health turns
      // critical and they shed load (503 + Retry-After) whether or not a reload is running.
      const offered = Math.max(50, Math.round(throughput(steady) * RELOAD_LOAD));
      run.pace(offered);
      stage(`paced at ${offered} req/s`);
      windows.push(await settle(admin.now, run));
      stage('reloading');
      const before = await admin.now();
      const reloadStarted = performance.now();
      run.cut(); // the reload window starts at the SIGHUP
      server.child.kill('SIGHUP');
      timeline.mark('SIGHUP: rolling reload');
      const deadline = reloadStarted + RELOAD_TIMEOUT_MS;
      let after = before;
      while (after.reloads <= before.reloads) {
        if (performance.now() > deadline) throw new Error(`no reload within ${RELOAD_TIMEOUT_MS} ms`);
        await sleep(100);
        after = await admin.now();
      }
      const seconds = (performance.now() - reloadStarted) / 1000;
      timeline.mark('reload done');
      await sleep(AFTER_RELOAD_MS);
      const window = await run.stop();
      windows.push(window);
      const settled = await admin.now();
      reload = {
        window,
        offered,
        seconds,
        pidsBefore: before.workers.map((w) => w.pid),
        pidsAfter: settled.workers.map((w) => w.pid),
        healthAfter: settled.health?.status,
      };
    } else {
      windows.push(await run.stop());
    }
    const all = windows.map((w) => w.counts);
    const result: PhaseResult = {
      workers,
      steady,
      eventLoop,
      cacheHitRate: cache ? cache.hits / (cache.hits + cache.misses || 1) : undefined,
      health,
      ...(reload ? { reload } : {}),
      rateLimited: all.reduce((n, c) => n + c.rateLimited, 0),
      failures: all.reduce((n, c) => n + failures(c), 0),
      shed: all.reduce((n, c) => n + c.shed, 0),
    };
    return { result, seedSeconds, timeline };
  } catch (error) {
    const tail = server.output().slice(-4_000);
    throw new Error(`${(error as Error).message}\n--- express-auth output (last lines) ---\n${tail}`);
  } finally {
    stage('stopping');
    await run?.stop();
    await admin.stop();
    stops.push(await stopServer(server));
    progress.stop();
  }
}

try {
  console.log('loadstone demo: examples/express-auth under supervise(), driven by a built-in load generator');
  console.log(
    `  ${USERS} users, ${CONNECTIONS} keep-alive connections; mix: 80 % GET /profiles/:user, 10 % POST /login, 10 % GET /health/live`,
  );
  console.log(
    `  1. WORKERS=1: the supervisor and one worker process (${(WARMUP_MS + MEASURE_MS) / 1000} s of load)`,
  );
  const one = await phase(1, { seed: true, reload: false });
  console.log(
    '  2. WORKERS=2: the supervisor and two worker processes, then a rolling reload (SIGHUP) under half that load',
  );
  const two = await phase(2, { seed: false, reload: true });
  const report = formatReport(one.result, two.result, {
    seeded: USERS,
    seedSeconds: one.seedSeconds,
    loadAverage,
    pids: [...pids].sort((a, b) => a - b),
    stops,
    totalSeconds: (performance.now() - t0) / 1000,
  });
  console.log(report);
  // Beside the text report, the same with charts: one self-contained file to open in a browser.
  const reports = resolve('reports', 'demo');
  mkdirSync(reports, { recursive: true });
  writeFileSync(join(reports, 'report.txt'), `${report}\n`);
  const runs = [
    { title: `WORKERS=${one.result.workers}: one worker process`, timeline: one.timeline },
    { title: `WORKERS=${two.result.workers}: clustered, then a rolling reload`, timeline: two.timeline },
  ];
  writeFileSync(join(reports, 'report.html'), htmlReport(runs, report, new Date()));
  console.log(`HTML report with charts: ${join(reports, 'report.html')} (open it in a browser)`);
  const reloadErrors = two.result.reload ? failures(two.result.reload.window.counts) : 0;
  if (reloadErrors > 0 || stops.some((s) => s.code !== 0 || s.stragglers.length > 0)) process.exitCode = 1;
} catch (error) {
  progress.stop();
  if (!isInterrupted()) console.error(`demo failed: ${(error as Error).message}`);
  process.exitCode = 1;
} finally {
  removeDataDir();
}
