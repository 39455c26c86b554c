// The cluster section of `npm run demo`: the server in `cluster-server.ts` runs under
// `supervise()` with 2 workers while this process drives it with 16 keep-alive clients. Midway,
// a rolling reload replaces both workers; the table shows that no request failed, which worker
// pids answered before and after, and what the primary's aggregated health said.
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { Agent, request } from 'node:http';
import { LatencyRecorder } from 'loadstone';

const CLIENTS = 16;
const RUN_MS = 4_000;
const RELOAD_AT_MS = 1_000;

type Started = { event: 'started'; port: number };
type Health = { status: string; reasons: readonly string[]; meanEventLoopUtilization: number };
type Reloaded = { event: 'reloaded'; ms: number; health: Health };

function get(agent: Agent, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', agent }, (res) => {
      res.resume();
      res.on('end', () =>
        res.statusCode === 200
          ? resolve(String(res.headers['x-pid']))
          : reject(new Error(`${res.statusCode}`)),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

export async function clusterDemo(): Promise<void> {
  console.log(
    `\nClusterSupervisor: 2 workers under ${CLIENTS} keep-alive clients for ${RUN_MS / 1000} s, rolling reload at ${RELOAD_AT_MS / 1000} s`,
  );
  const server = fork(new URL('./cluster-server.ts', import.meta.url), {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  try {
    const [started] = (await once(server, 'message')) as [Started];
    const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS });
    const latency = new LatencyRecorder();
    // Pids that answered before the reload began, and after it completed (during it, both
    // generations answer: the new worker is ready before the old one drains).
    const pidsBefore = new Set<string>();
    const pidsAfter = new Set<string>();
    let reloading = false;
    const errors: string[] = [];
    let ok = 0;
    let reloaded: Reloaded | undefined;
    const t0 = performance.now();
    const reload = new Promise<Reloaded>((resolve) => {
      setTimeout(() => {
        reloading = true;
        server.send({ cmd: 'reload' });
        server.once('message', (message: Reloaded) => resolve(message));
      }, RELOAD_AT_MS);
    }).then((message) => {
      reloaded = message;
    });
    const client = async () => {
      while (performance.now() - t0 < RUN_MS) {
        const start = performance.now();
        try {
          const pid = await get(agent, started.port);
          latency.record(performance.now() - start);
          ok++;
          if (!reloading) pidsBefore.add(pid);
          else if (reloaded !== undefined) pidsAfter.add(pid);
        } catch (error) {
          errors.push((error as Error).message);
        }
      }
    };
    await Promise.all([...Array.from({ length: CLIENTS }, client), reload]);
    agent.destroy();
    const { p50Ms, p99Ms } = latency.snapshot();
    const seconds = (performance.now() - t0) / 1000;
    console.log(
      `  requests ok          ${ok} (${Math.round(ok / seconds)} req/s, p50 ${p50Ms.toFixed(1)} ms, p99 ${p99Ms.toFixed(1)} ms)`,
    );
    console.log(
      `  errors during reload ${errors.length}${errors.length > 0 ? ` (${[...new Set(errors)].join(', ')})` : ''}`,
    );
    console.log(`  reload took          ${reloaded?.ms.toFixed(0)} ms`);
    console.log(`  worker pids before   ${[...pidsBefore].sort().join(', ')}`);
    const stale = [...pidsAfter].filter((pid) => pidsBefore.has(pid));
    console.log(
      `  worker pids after    ${[...pidsAfter].sort().join(', ')} (old pids still answering: ${stale.length})`,
    );
    const health = reloaded?.health;
    console.log(
      `  health under load    ${health?.status} (mean event-loop utilisation ${health?.meanEventLoopUtilization.toFixed(2)}${health?.reasons.length ? `; ${health.reasons[0]}` : ''})`,
    );
  } finally {
    server.kill('SIGTERM');
    const [code] = (await once(server, 'exit')) as [number | null];
    console.log(`  SIGTERM: primary and workers exited (code ${code})`);
  }
}
