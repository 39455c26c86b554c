// Chaos suite, process half (#21): a supervised service whose workers run jobs from Redis, put
// through a SIGKILL storm on its workers, a SIGKILLed primary, and a killed launcher. What must
// hold (docs/testing.md, "Chaos suite"): the primary survives what it exists to survive, nothing
// is left serving unsupervised, and no accepted job is lost. Real processes, real Redis.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { JobQueue, RedisJobStore } from '../../src/jobs/index.js';
import {
  clientAddresses,
  FixturePrimary,
  type Got,
  type Ready,
  request,
} from '../fixtures/cluster/sticky-harness.js';
import { fixturePath, killAllPrimaries, startPrimary } from '../helpers/clusterPrimary.js';
import { httpStatus, isRunning } from '../helpers/processes.js';
import { describeWithRedis } from '../helpers/redis.js';
import { until } from '../helpers/until.js';

const strays = new Set<number>();
afterEach(() => {
  killAllPrimaries();
  for (const pid of strays) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
  strays.clear();
});
afterAll(() => killAllPrimaries());

type WorkerPids = { workers: { pid: number; state: string }[] };

describeWithRedis('chaos: processes', (getRedis) => {
  const clients: Redis[] = [];
  afterAll(() => {
    for (const client of clients) client.disconnect();
  });
  const queueOn = (name: string): JobQueue<number> => {
    const client = new Redis(getRedis().url);
    clients.push(client);
    return new JobQueue<number>({ name, store: new RedisJobStore({ client }) });
  };

  it('a SIGKILL storm on the workers: the primary restarts them, serves again, and every job completes', {
    timeout: 120_000,
  }, async () => {
    const name = `storm-${Date.now()}`;
    const queue = queueOn(name);
    const primary = startPrimary('jobs-app.mjs', {
      REDIS_URL: getRedis().url,
      FIXTURE_QUEUE: name,
      FIXTURE_WORKERS: '2',
      FIXTURE_JOB_MS: '20',
    });
    const port = (await primary.waitFor('started')).port as number;
    const ids = Array.from({ length: 300 }, (_, i) => `job-${i}`);
    await queue.addBulk(ids.map((id, i) => ({ id, data: i })));
    // Eight kills, one every 250 ms, each of whichever worker is alive: under the crash-loop
    // limit (10 in 60 s), so the service must come back by itself.
    let kills = 0;
    while (kills < 8) {
      const { workers } = (await primary.stats()) as WorkerPids;
      const victim = workers.find((w) => isRunning(w.pid));
      if (victim !== undefined) {
        process.kill(victim.pid, 'SIGKILL');
        kills++;
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(primary.child.exitCode, 'the primary is still running').toBeNull();
    await until(async () => (await httpStatus(port)) === 200, 30_000, 100);
    await until(async () => (await queue.counts()).completed === ids.length, 60_000, 200);
    const { workers } = (await primary.stats()) as WorkerPids;
    expect(workers.filter((w) => w.state === 'ready')).toHaveLength(2);
    primary.child.kill('SIGTERM');
    expect((await primary.exited).code).toBe(0);
    await queue.close();
  });

  it('the primary SIGKILLed: its workers go with it, and a new primary completes every job', {
    timeout: 120_000,
  }, async () => {
    const name = `primary-${Date.now()}`;
    const queue = queueOn(name);
    const env = {
      REDIS_URL: getRedis().url,
      FIXTURE_QUEUE: name,
      FIXTURE_WORKERS: '2',
      FIXTURE_JOB_MS: '600',
    };
    const first = startPrimary('jobs-app.mjs', env);
    const port = (await first.waitFor('started')).port as number;
    const { workers } = (await first.stats()) as WorkerPids;
    const ids = Array.from({ length: 16 }, (_, i) => `job-${i}`);
    await queue.addBulk(ids.map((id, i) => ({ id, data: i })));
    await until(async () => (await queue.counts()).active >= 2, 20_000, 20);
    process.kill(first.child.pid as number, 'SIGKILL');
    await first.exited;
    // No worker serves on, unsupervised.
    await until(() => workers.every((w) => !isRunning(w.pid)), 10_000, 50);
    expect(await httpStatus(port)).toBe(0);
    // The orchestrator starts the service again; leased jobs come back when their leases end.
    const second = startPrimary('jobs-app.mjs', env);
    await second.waitFor('started');
    await until(async () => (await queue.counts()).completed === ids.length, 60_000, 200);
    second.child.kill('SIGTERM');
    expect((await second.exited).code).toBe(0);
    await queue.close();
  });

  it('the launcher SIGKILLed: the primary notices its IPC channel close, drains and exits with its workers', {
    timeout: 60_000,
  }, async () => {
    // A launcher as PM2's fork mode or a parent script would be: it spawns the primary with an
    // IPC channel, and dies without a word.
    const launcher: ChildProcess = spawn(
      process.execPath,
      [
        '-e',
        `const { spawn } = require('node:child_process');
         const child = spawn(process.execPath, [${JSON.stringify(fixturePath('app.mjs'))}], {
           stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
           env: { ...process.env, FIXTURE_WORKERS: '2' },
         });
         child.on('message', (m) => {
           if (m && m.event === 'started') {
             process.stdout.write(JSON.stringify({ pid: child.pid, port: m.payload.port, workers: m.payload.stats.workers.map((w) => w.pid) }) + '\\n');
           }
         });`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'], cwd: fixturePath('../../..') },
    );
    strays.add(launcher.pid as number);
    const [line] = (await once(
      createInterface({ input: launcher.stdout as NodeJS.ReadableStream }),
      'line',
    )) as [string];
    const started = JSON.parse(line) as { pid: number; port: number; workers: number[] };
    strays.add(started.pid);
    for (const pid of started.workers) strays.add(pid);
    expect(await httpStatus(started.port)).toBe(200);
    const t0 = performance.now();
    launcher.kill('SIGKILL');
    await until(() => !isRunning(started.pid) && started.workers.every((pid) => !isRunning(pid)), 20_000, 50);
    console.log(
      `[chaos] launcher killed: primary and workers gone after ${Math.round(performance.now() - t0)} ms`,
    );
    expect(await httpStatus(started.port)).toBe(0);
  });
});

describe('chaos: the IPC parts through worker SIGKILL storms', () => {
  it('sticky routing and the ClusterBus: every slot killed twice over, each serves its clients again and the bus reaches every new worker', {
    timeout: 120_000,
  }, async () => {
    const primary = FixturePrimary.start('./sticky-supervised.ts', { STICKY_WORKERS: '3' });
    try {
      const ready = await primary.next<Ready>((m) => m.kind === 'ready');
      // One client address per slot: sticky routing sends it to that slot's worker, whoever it is.
      const slotOf = new Map<string, string>();
      const pidToSlot = new Map(Object.entries(ready.slots).map(([slot, pid]) => [pid, slot]));
      for (const address of clientAddresses(48)) {
        const slot = pidToSlot.get(Number((await request(ready.port, '/', address)).body));
        if (slot !== undefined && ![...slotOf.values()].includes(slot)) slotOf.set(address, slot);
      }
      expect(slotOf.size).toBe(3);
      let pids = { ...ready.slots };
      for (let round = 0; round < 2; round++) {
        const replaced = Object.keys(pids).map((slot) =>
          primary.fresh<{ slot: string; pid: number }>((m) => m.kind === 'replaced' && m.slot === slot),
        );
        // Every worker at once: the primary keeps the port and its connections wait for a worker.
        for (const slot of Object.keys(pids)) primary.send({ cmd: 'kill', slot });
        const fresh = await Promise.all(replaced);
        pids = Object.fromEntries(fresh.map((r) => [r.slot, r.pid]));
        for (const [address, slot] of slotOf) {
          expect(Number((await request(ready.port, '/', address)).body)).toBe(pids[slot]);
        }
        const message = { round };
        const everyone = [...Object.values(pids), primary.child.pid as number];
        const heard = Promise.all(
          everyone.map((pid) =>
            primary.fresh<Got>(
              (m) =>
                m.kind === 'got' &&
                (m as Got).pid === pid &&
                JSON.stringify((m as Got).message) === JSON.stringify(message),
            ),
          ),
        );
        const [address] = [...slotOf.keys()];
        await request(
          ready.port,
          `/publish?m=${encodeURIComponent(JSON.stringify(message))}`,
          address as string,
        );
        expect((await heard).map((g) => g.pid).sort()).toEqual([...everyone].sort());
      }
    } finally {
      await primary.stop();
    }
  });
});
