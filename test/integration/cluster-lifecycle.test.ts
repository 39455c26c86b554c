// How a supervised service ends (#21): only a requested stop exits 0; every other way out is a
// give-up with a line on stderr naming the cause and exit code 1, which is what systemd's
// `Restart=on-failure` and Kubernetes act on. Real primary and worker processes
// (test/fixtures/cluster/app.mjs), real HTTP on 127.0.0.1; every forked process is killed in
// afterEach, even on failure.
import { get } from 'node:http';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { killAllPrimaries, type PrimaryHandle, startPrimary } from '../helpers/clusterPrimary.js';
import { freePort, httpStatus, isRunning, takenPort } from '../helpers/processes.js';
import { until } from '../helpers/until.js';

afterEach(() => killAllPrimaries());
afterAll(() => killAllPrimaries());

async function startedPort(primary: PrimaryHandle): Promise<number> {
  const payload = await primary.waitFor('started');
  return payload.port as number;
}

describe('ClusterSupervisor: how the primary ends (real processes)', () => {
  it('a factory that always throws: restarts with backoff, then a crash-loop line naming the error, exit 1', async () => {
    // Restart delays long enough that every worker waits for a restart at the same time: the
    // moment nothing but the backoff timers is left in the primary.
    const primary = startPrimary('app.mjs', {
      FIXTURE_WORKERS: '2',
      FIXTURE_CRASH_ON_START: '1',
      FIXTURE_MAX_CRASHES: '5',
      FIXTURE_RESTART_DELAY_MS: '300',
    });
    const exit = await primary.exited;
    expect(exit.code).toBe(1);
    expect(primary.stderr()).toMatch(/loadstone: crash loop .*fixture: boom at start/);
    expect(primary.events.filter((e) => e.event === 'worker:exited').length).toBeGreaterThan(5);
  });

  it('the port already taken: gives up with a line naming EADDRINUSE, exit 1', async () => {
    const { port, release } = await takenPort();
    try {
      const primary = startPrimary('app.mjs', {
        FIXTURE_WORKERS: '2',
        FIXTURE_PORT: String(port),
        FIXTURE_MAX_CRASHES: '5',
        FIXTURE_RESTART_DELAY_MS: '300',
      });
      const exit = await primary.exited;
      expect(exit.code).toBe(1);
      expect(primary.stderr()).toMatch(/loadstone: .*EADDRINUSE/);
    } finally {
      await release();
    }
  });

  it('the port already taken in sticky mode (the primary listens): a line naming EADDRINUSE, exit 1', async () => {
    const { port, release } = await takenPort();
    try {
      const primary = startPrimary('app.mjs', { FIXTURE_STICKY: '1', FIXTURE_PORT: String(port) });
      const exit = await primary.exited;
      expect(exit.code).toBe(1);
      expect(primary.stderr()).toMatch(/loadstone: .*EADDRINUSE/);
    } finally {
      await release();
    }
  });

  it('requests that crash workers at run time never take the service down while under the crash-loop limit', async () => {
    // A fixed port: with port 0 a cluster whose workers all died binds a new random one.
    const primary = startPrimary('app.mjs', {
      FIXTURE_WORKERS: '2',
      FIXTURE_PORT: String(await freePort()),
      FIXTURE_MAX_CRASHES: '10',
      FIXTURE_RESTART_DELAY_MS: '400',
    });
    const port = await startedPort(primary);
    // Four crashes in quick succession: the second crash of each slot waits for a backoff timer,
    // and for a moment no worker is alive.
    const crashes = (): number => primary.events.filter((e) => e.event === 'worker:exited').length;
    await until(
      async () => {
        await httpStatus(port, '/crash');
        return crashes() >= 4;
      },
      20_000,
      20,
    ).catch((error: unknown) => {
      throw new Error(
        `${String(error)}; events: ${primary.events.map((e) => e.event).join(' ')}; stderr: ${primary.stderr()}`,
      );
    });
    const racedExit = await Promise.race([
      primary.exited,
      new Promise((r) => setTimeout(() => r('alive'), 3_000)),
    ]);
    expect(racedExit).toBe('alive');
    await until(async () => (await httpStatus(port)) === 200, 20_000, 50);
  });

  it('the launcher goes away (its IPC channel closes): the primary drains its workers and exits', async () => {
    const primary = startPrimary('app.mjs', { FIXTURE_WORKERS: '2' });
    const port = await startedPort(primary);
    expect(await httpStatus(port)).toBe(200);
    primary.child.disconnect();
    const exit = await Promise.race([
      primary.exited,
      new Promise<'still running'>((r) => setTimeout(() => r('still running'), 15_000)),
    ]);
    expect(exit).not.toBe('still running');
    expect(primary.stderr()).toContain('loadstone: the launcher');
    // Nothing serves on the port any more: the workers went with the primary.
    expect(await httpStatus(port)).toBe(0);
  });

  it('the primary SIGKILLed: its workers finish the requests in flight, then exit', async () => {
    const primary = startPrimary('app.mjs', { FIXTURE_WORKERS: '1' });
    const port = await startedPort(primary);
    const { workers } = (await primary.stats()) as { workers: { pid: number }[] };
    const slow = new Promise<{ status: number; body: string }>((resolve) => {
      get({ host: '127.0.0.1', port, path: '/slow?ms=1500', agent: false }, (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => {
          body += String(chunk);
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      }).on('error', (error: NodeJS.ErrnoException) => resolve({ status: 0, body: String(error.code) }));
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    process.kill(primary.child.pid as number, 'SIGKILL');
    expect(await slow).toEqual({ status: 200, body: 'slow done' });
    await until(() => workers.every((w) => !isRunning(w.pid)), 15_000, 50);
  });

  it('an idle worker reports an event-loop delay near 0, not the 20 ms sampling resolution', async () => {
    const primary = startPrimary('app.mjs', { FIXTURE_WORKERS: '1', FIXTURE_HEARTBEAT_MS: '500' });
    await startedPort(primary);
    let delays: number[] = [];
    await until(
      async () => {
        const stats = (await primary.stats()) as {
          workers: { eventLoopDelayMs: number; lastHeartbeatAgeMs: number }[];
        };
        delays = stats.workers.map((w) => w.eventLoopDelayMs);
        return stats.workers.length === 1 && stats.workers[0]?.lastHeartbeatAgeMs !== -1;
      },
      10_000,
      50,
    );
    await new Promise((r) => setTimeout(r, 1_200));
    const stats = (await primary.stats()) as {
      workers: { eventLoopDelayMs: number; eventLoopDelayP99Ms: number }[];
    };
    delays = stats.workers.map((w) => w.eventLoopDelayMs);
    expect(delays[0]).toBeLessThan(10);
    expect(stats.workers[0]?.eventLoopDelayP99Ms).toBeLessThan(15);
  });
});
