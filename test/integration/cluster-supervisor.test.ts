// Real primary + worker processes (test/fixtures/cluster/app.mjs, which loads the built
// `loadstone/cluster`), real HTTP on 127.0.0.1. Every wait is bounded by an event; every forked
// process is killed in afterEach, even on failure.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { get } from 'node:http';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { killAllPrimaries, type PrimaryHandle, startPrimary } from '../helpers/clusterPrimary.js';
import { failedCount, startLoad } from '../helpers/loadClient.js';

const tmp = mkdtempSync(join(tmpdir(), 'loadstone-cluster-'));

afterEach(() => killAllPrimaries());
afterAll(() => {
  killAllPrimaries();
  rmSync(tmp, { recursive: true, force: true });
});

type Reply = { status: number; body: string; headers: Record<string, string | string[] | undefined> };

function fetchOnce(port: number, path: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    // agent: false = a fresh connection per request, so concurrent requests really run concurrently.
    get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      res.on('error', reject);
    }).on('error', reject);
  });
}

/** A keep-alive connection that sent one request: the answer's status and pid, the socket open. */
function openKeepAlive(port: number): Promise<{ status: number; pid: string | undefined; socket: Socket }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port }, () =>
      socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n'),
    );
    let text = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      text += chunk;
      const length = Number(/content-length: (\d+)/i.exec(text)?.[1] ?? Number.NaN);
      const end = text.indexOf('\r\n\r\n');
      if (end === -1 || text.length < end + 4 + length) return;
      resolve({ status: Number(text.slice(9, 12)), pid: /x-pid: (\d+)/i.exec(text)?.[1], socket });
    });
    socket.on('error', reject);
  });
}

async function started(primary: PrimaryHandle): Promise<{ port: number; pids: number[] }> {
  const payload = await primary.waitFor('started');
  const stats = payload.stats as { workers: { pid: number }[] };
  return { port: payload.port as number, pids: stats.workers.map((w) => w.pid) };
}

describe('ClusterSupervisor (real processes)', () => {
  it('replaces a SIGKILLed worker under load; only its in-flight requests can fail', async () => {
    const primary = startPrimary('app.mjs', { FIXTURE_WORKERS: '2', FIXTURE_CPU_MS: '1' });
    const { port, pids } = await started(primary);
    const load = startLoad({ port, connections: 10, maxRequests: 40_000 });
    await load.responses(300);
    const victim = pids[0] as number;
    const replaced = primary.next('worker:ready');
    process.kill(victim, 'SIGKILL');
    const exited = await primary.waitFor('worker:exited', (p) => p.pid === victim);
    expect(exited.expected).toBe(false);
    const ready = await replaced;
    await load.responses(300);
    const result = await load.stop();
    // Each connection has at most one request in flight: at most the victim's share can fail.
    expect(failedCount(result)).toBeLessThanOrEqual(10);
    expect(result.sent).toBe(result.ok + failedCount(result));
    // Keep-alive connections stay where they reconnected; new connections reach the replacement.
    const fresh = await Promise.all(Array.from({ length: 10 }, () => fetchOnce(port, '/')));
    expect(fresh.every((r) => r.status === 200)).toBe(true);
    expect(fresh.map((r) => r.headers['x-pid'])).toContain(String(ready.pid));
    const stats = (await primary.stats()) as { restarts: number; workers: { pid: number }[] };
    expect(stats.restarts).toBe(1);
    expect(stats.workers.map((w) => w.pid)).not.toContain(victim);
    const started2 = primary.events.filter(
      (e) => e.event === 'worker:started' && e.payload.reason === 'crash',
    );
    expect(started2).toHaveLength(1);
  });

  it('starts every worker, replacements included, with execArgv after the primary’s own', async () => {
    const primary = startPrimary('app.mjs', {
      FIXTURE_WORKERS: '2',
      FIXTURE_EXEC_ARGV: JSON.stringify(['--max-old-space-size=96', '--no-deprecation']),
    });
    const { port, pids } = await started(primary);
    const heapOf = async () =>
      JSON.parse((await fetchOnce(port, '/execargv')).body) as { execArgv: string[]; heapLimitMb: number };
    const first = await heapOf();
    expect(first.execArgv.slice(-2)).toEqual(['--max-old-space-size=96', '--no-deprecation']);
    // The old space is 96 MiB; the limit adds the young generation.
    expect(first.heapLimitMb).toBeGreaterThanOrEqual(96);
    expect(first.heapLimitMb).toBeLessThan(200);
    const replaced = primary.next('worker:ready');
    process.kill(pids[0] as number, 'SIGKILL');
    const ready = await replaced;
    for (let attempt = 0; attempt < 50; attempt++) {
      const reply = await fetchOnce(port, '/execargv');
      if (reply.headers['x-pid'] !== String(ready.pid)) continue;
      expect((JSON.parse(reply.body) as { execArgv: string[] }).execArgv.slice(-2)).toEqual([
        '--max-old-space-size=96',
        '--no-deprecation',
      ]);
      return;
    }
    throw new Error('the replacement took none of 50 connections');
  });

  for (const sticky of [false, true]) {
    it(`maxConnectionsPerWorker${sticky ? ', sticky' : ''}: past the cap a connection gets a 503 and is counted`, async () => {
      // Without sticky: one worker holding 2. Sticky: two workers of 1, one client address (one
      // key), so the second connection must go to the other worker and the third is refused.
      const primary = startPrimary('app.mjs', {
        FIXTURE_WORKERS: sticky ? '2' : '1',
        FIXTURE_MAX_CONNECTIONS: sticky ? '1' : '2',
        ...(sticky ? { FIXTURE_STICKY: '1' } : {}),
      });
      const { port } = await started(primary);
      const held = [await openKeepAlive(port), await openKeepAlive(port)];
      expect(held.map((c) => c.status)).toEqual([200, 200]);
      if (sticky) expect(new Set(held.map((c) => c.pid)).size).toBe(2);
      const refused = await fetchOnce(port, '/');
      expect(refused.status).toBe(503);
      expect(refused.headers['retry-after']).toBe('1');
      expect(refused.body).toBe('Server at connection limit\n');
      type Stats = { connectionsRefused: number; workers: { connections: number }[] };
      const open = (s: Stats) => s.workers.reduce((n, w) => n + w.connections, 0);
      let stats = (await primary.stats()) as Stats;
      for (let i = 0; i < 50 && (stats.connectionsRefused === 0 || open(stats) < 2); i++) {
        await new Promise((resolve) => setTimeout(resolve, 50)); // the next heartbeat (200 ms)
        stats = (await primary.stats()) as Stats;
      }
      expect(stats.connectionsRefused).toBe(1);
      expect(open(stats)).toBe(2);
      for (const c of held) c.socket.destroy();
    });
  }

  it('reloads every worker under 12 s of keep-alive load with 0 failed requests', async () => {
    const primary = startPrimary('app.mjs', { FIXTURE_WORKERS: '2', FIXTURE_CPU_MS: '1' });
    const { port, pids } = await started(primary);
    const load = startLoad({ port, connections: 20, maxRequests: 200_000 });
    const t0 = performance.now();
    await load.responses(500);
    const firstReload = primary.next('reload:completed', undefined, 30_000);
    primary.send({ cmd: 'reload' });
    const reload1 = await firstReload;
    await load.responses(500);
    // A second reload (SIGHUP) replaces the replacements.
    const secondReload = primary.next('reload:completed', undefined, 30_000);
    primary.child.kill('SIGHUP');
    const reload2 = await secondReload;
    // Keep the load running for at least 12 s in total, bounded by response counts.
    while (performance.now() - t0 < 12_000) await load.responses(200);
    const result = await load.stop();
    expect(result.errors).toEqual({});
    expect(result.timeouts).toBe(0);
    expect(result.non2xx).toBe(0);
    expect(result.sent).toBe(result.ok);
    expect(result.durationMs).toBeGreaterThanOrEqual(12_000);
    expect(reload1.replaced).toBe(2);
    expect(reload2.replaced).toBe(2);
    const retired = primary.events.filter((e) => e.event === 'worker:retired').map((e) => e.payload.pid);
    for (const pid of pids) expect(retired).toContain(pid);
    expect(retired).toHaveLength(4);
    // The old workers answered their last requests with `Connection: close`.
    expect(result.connectionClose).toBeGreaterThan(0);
    const stats = (await primary.stats()) as { workers: { pid: number }[]; reloads: number };
    expect(stats.reloads).toBe(2);
    for (const w of stats.workers) {
      expect(pids).not.toContain(w.pid);
      expect(result.byPid[String(w.pid)]).toBeGreaterThan(0);
    }
  });

  it('on SIGTERM finishes slow in-flight requests, closes closeables in reverse order and exits', async () => {
    const closeLog = join(tmp, 'close.log');
    const primary = startPrimary('app.mjs', {
      FIXTURE_WORKERS: '2',
      FIXTURE_CLOSE_LOG: closeLog,
      FIXTURE_SHUTDOWN_TIMEOUT_MS: '20000',
    });
    const { port, pids } = await started(primary);
    const slow = Array.from({ length: 6 }, () => fetchOnce(port, '/slow?ms=1500'));
    // Bounded by heartbeats: wait until the workers report all 6 requests in flight.
    for (let i = 0; i < 200; i++) {
      const stats = (await primary.stats()) as { workers: { requestsInFlight: number }[] };
      if (stats.workers.reduce((a, w) => a + w.requestsInFlight, 0) >= 6) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const signalled = performance.now();
    primary.child.kill('SIGTERM');
    const replies = await Promise.all(slow);
    for (const r of replies) {
      expect(r.status).toBe(200);
      expect(r.body).toBe('slow done');
      expect(r.headers.connection).toBe('close');
    }
    const exit = await primary.exited;
    expect(exit.code).toBe(0);
    expect(exit.at - signalled).toBeLessThan(20_000);
    expect(primary.events.some((e) => e.event === 'supervisor:stopped')).toBe(true);
    const lines = readFileSync(closeLog, 'utf8').trim().split('\n');
    for (const pid of pids) {
      const order = lines.filter((l) => l.startsWith(`${pid} `)).map((l) => l.split(' ')[1]);
      expect(order).toEqual(['third', 'second', 'first']);
    }
    expect(
      primary.events.filter((e) => e.event === 'worker:retired').every((e) => e.payload.killed === false),
    ).toBe(true);
  });

  it('stops restarting after the crash-loop limit and emits the cause', async () => {
    const primary = startPrimary('app.mjs', {
      FIXTURE_WORKERS: '2',
      FIXTURE_CRASH_ON_START: '1',
      FIXTURE_MAX_CRASHES: '3',
      FIXTURE_RESTART_DELAY_MS: '20',
    });
    const loop = await primary.waitFor('crashloop:detected');
    expect(loop.crashes).toBe(4);
    expect((loop.cause as { error?: string }).error).toContain('fixture: boom at start');
    const failed = await primary.waitFor('startFailed');
    expect(failed.cause).toContain('crash loop');
    const exit = await primary.exited;
    expect(exit.code).toBe(1);
    const loopAt = primary.events.findIndex((e) => e.event === 'crashloop:detected');
    expect(primary.events.slice(loopAt).some((e) => e.event === 'worker:started')).toBe(false);
    // Every worker ever started died (workers forked before the limit was hit die the same way).
    const startedCount = primary.events.filter((e) => e.event === 'worker:started').length;
    expect(primary.events.filter((e) => e.event === 'worker:exited')).toHaveLength(startedCount);
    expect(primary.stderr()).toContain('loadstone: crash loop');
  });

  it('replaces a worker over its memory limit (rolling: new one first)', async () => {
    const primary = startPrimary('app.mjs', { FIXTURE_WORKERS: '1', FIXTURE_MAX_MEMORY_MB: '200' });
    const { port, pids } = await started(primary);
    const r = await fetchOnce(port, '/leak?mb=256');
    expect(r.status).toBe(200);
    const unhealthy = await primary.waitFor('worker:unhealthy');
    expect(unhealthy).toMatchObject({ reason: 'memory', pid: pids[0] });
    expect(unhealthy.value as number).toBeGreaterThan(200 * 1024 * 1024);
    const replacement = await primary.waitFor('worker:started', (p) => p.reason === 'memory');
    const retired = await primary.waitFor('worker:retired', (p) => p.pid === pids[0]);
    expect(retired.killed).toBe(false);
    // The replacement was ready before the old worker began to drain.
    const readyAt = primary.events.find(
      (e) => e.event === 'worker:ready' && e.payload.pid === replacement.pid,
    )?.at;
    const exitedAt = primary.events.find((e) => e.event === 'worker:exited' && e.payload.pid === pids[0])?.at;
    expect(readyAt).toBeDefined();
    expect(readyAt as number).toBeLessThan(exitedAt as number);
    const after = await fetchOnce(port, '/');
    expect(after.headers['x-pid']).toBe(String(replacement.pid));
  });

  it('replaces a worker whose event loop stops answering heartbeats', async () => {
    const primary = startPrimary('app.mjs', {
      FIXTURE_WORKERS: '1',
      FIXTURE_HEARTBEAT_TIMEOUT_MS: '1500',
    });
    const { port, pids } = await started(primary);
    await fetchOnce(port, '/block?ms=30000');
    const unhealthy = await primary.waitFor('worker:unhealthy');
    expect(unhealthy).toMatchObject({ reason: 'heartbeat', pid: pids[0] });
    const replacement = await primary.waitFor('worker:started', (p) => p.reason === 'heartbeat');
    await primary.waitFor('worker:ready', (p) => p.pid === replacement.pid);
    const exited = await primary.waitFor('worker:exited', (p) => p.pid === pids[0]);
    expect(exited.signal).toBe('SIGKILL');
    const after = await fetchOnce(port, '/');
    expect(after.headers['x-pid']).toBe(String(replacement.pid));
  });

  it('counts and drops malformed loadstone IPC messages; serves stats on the metrics endpoint', async () => {
    const primary = startPrimary('app.mjs', { FIXTURE_WORKERS: '2', FIXTURE_METRICS: '1' });
    const payload = await primary.waitFor('started');
    const port = payload.port as number;
    await fetchOnce(port, '/badipc');
    const dropped = await primary.waitFor('message:dropped', (p) => p.type === 'no:such-type');
    expect(dropped.reason).toBe('unexpected type');
    await primary.waitFor('message:dropped', (p) => p.type === 'worker:heartbeat');
    const metrics = await fetchOnce(payload.metrics as number, '/metrics');
    const body = JSON.parse(metrics.body) as { droppedMessages: number; state: string; workers: unknown[] };
    expect(body.droppedMessages).toBe(2);
    expect(body.state).toBe('running');
    expect(body.workers).toHaveLength(2);
    expect(primary.events.filter((e) => e.event === 'worker:exited')).toHaveLength(0);
  });

  it('sticky mode: the primary routes connections; a rolling reload under load drops nothing', async () => {
    const primary = startPrimary('app.mjs', {
      FIXTURE_WORKERS: '2',
      FIXTURE_CPU_MS: '1',
      FIXTURE_STICKY: '1',
    });
    const { port, pids } = await started(primary);
    const load = startLoad({ port, connections: 20, maxRequests: 100_000 });
    await load.responses(300);
    const reloaded = primary.next('reload:completed', undefined, 30_000);
    primary.send({ cmd: 'reload' });
    await reloaded;
    await load.responses(300);
    const result = await load.stop();
    expect(failedCount(result)).toBe(0);
    expect(result.sent).toBe(result.ok);
    const stats = (await primary.stats()) as { workers: { pid: number }[] };
    for (const w of stats.workers) expect(pids).not.toContain(w.pid);
  });

  it('fails readiness first during the pre-stop delay, keeps serving, then drains; primary aggregates health', async () => {
    const primary = startPrimary('app.mjs', {
      FIXTURE_WORKERS: '2',
      FIXTURE_HEALTH: '1',
      FIXTURE_PRESTOP_MS: '1500',
      FIXTURE_METRICS: '1',
    });
    const payload = await primary.waitFor('started');
    const port = payload.port as number;
    expect((await fetchOnce(port, '/ready')).status).toBe(200);
    // Heartbeats carry each worker's health snapshot; the metrics endpoint aggregates them.
    let health: { total?: number; status?: string } | undefined;
    for (let i = 0; i < 100 && health?.total !== 2; i++) {
      const body = JSON.parse((await fetchOnce(payload.metrics as number, '/')).body) as {
        health?: typeof health;
      };
      health = body.health;
      if (health?.total !== 2) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(health?.total).toBe(2);
    primary.child.kill('SIGTERM');
    // During the pre-stop delay: readiness 503 on every worker, normal requests still served.
    let notReady = 0;
    for (let i = 0; i < 200 && notReady < 4; i++) {
      const r = await fetchOnce(port, '/ready');
      if (r.status === 503) notReady++;
      else await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(notReady).toBe(4);
    const served = await fetchOnce(port, '/');
    expect(served.status).toBe(200);
    expect(primary.events.some((e) => e.event === 'worker:exited')).toBe(false);
    const exit = await primary.exited;
    expect(exit.code).toBe(0);
  });

  it('autoscales up under CPU load and back down when idle', async () => {
    const primary = startPrimary('app.mjs', { FIXTURE_WORKERS: '1', FIXTURE_AUTOSCALE: '1000' });
    const { port } = await started(primary);
    const load = startLoad({ port, connections: 4, path: '/?cpu=5', maxRequests: 20_000 });
    const up = await primary.waitFor('workers:scaled', (p) => p.to === 2, 30_000);
    expect(up.from).toBe(1);
    expect(up.utilization as number).toBeGreaterThan(0.5);
    await primary.waitFor('worker:ready', (p) => p.slot === 'w1');
    await load.stop();
    const down = await primary.waitFor('workers:scaled', (p) => p.to === 1, 30_000);
    expect(down.utilization as number).toBeLessThan(0.1);
    await primary.waitFor('worker:retired', (p) => p.slot === 'w1');
    const stats = (await primary.stats()) as { desiredWorkers: number; workers: unknown[] };
    expect(stats.desiredWorkers).toBe(1);
    expect(stats.workers).toHaveLength(1);
  });

  it('bounds shutdown by shutdownTimeoutMs when a request never finishes; a second signal forces exit', async () => {
    const bounded = startPrimary('app.mjs', { FIXTURE_WORKERS: '1', FIXTURE_SHUTDOWN_TIMEOUT_MS: '1500' });
    const a = await started(bounded);
    const stuck = fetchOnce(a.port, '/slow?ms=60000').then(
      (r) => r.status,
      (e: NodeJS.ErrnoException) => e.code,
    );
    for (let i = 0; i < 200; i++) {
      const stats = (await bounded.stats()) as { workers: { requestsInFlight: number }[] };
      if ((stats.workers[0]?.requestsInFlight ?? 0) >= 1) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    bounded.child.kill('SIGTERM');
    const exitA = await bounded.exited;
    expect(exitA.code).toBe(0);
    expect(await stuck).toBe('ECONNRESET');

    const forced = startPrimary('app.mjs', { FIXTURE_WORKERS: '2', FIXTURE_SHUTDOWN_TIMEOUT_MS: '30000' });
    const b = await started(forced);
    const slow = fetchOnce(b.port, '/slow?ms=60000').catch((e: NodeJS.ErrnoException) => e.code);
    for (let i = 0; i < 200; i++) {
      const stats = (await forced.stats()) as { workers: { requestsInFlight: number }[] };
      if (stats.workers.some((w) => w.requestsInFlight >= 1)) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    forced.child.kill('SIGTERM');
    // The idle worker drains and exits; the busy one would wait 30 s for its request.
    await forced.waitFor('worker:exited');
    forced.child.kill('SIGTERM');
    const exitB = await forced.exited;
    expect(exitB.code).toBe(1);
    expect(await slow).toBe('ECONNRESET');
    // SIGKILLed by the primary before it exited; bounded wait for the kernel to reap them.
    const alive = (pid: number): boolean => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    for (let i = 0; i < 100 && b.pids.some(alive); i++)
      await new Promise((resolve) => setTimeout(resolve, 20));
    expect(b.pids.filter(alive)).toEqual([]);
  });
});
