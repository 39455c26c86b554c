// SIGSTOP / SIGCONT helpers for the chaos suite (test/helpers/freezeProcess.ts): against a plain
// sleeping child process, against a child test process that dies with a process still frozen, and
// against a real redis-server through ioredis (hung, not dead).
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect } from 'node:net';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import {
  freezeProcess,
  frozenProcesses,
  processState,
  thawAll,
  thawProcess,
} from '../helpers/freezeProcess.js';
import { describeWithRedis } from '../helpers/redis.js';

const onLinux = process.platform === 'linux';
const FREEZE_MODULE = new URL('../helpers/freezeProcess.ts', import.meta.url).href;

/** A test process that freezes `SLEEPER_PID`, reports the state it sees, then dies of an uncaught error. */
const DYING_SCRIPT = `
const { freezeProcess, processState } = await import(process.env.FREEZE_MODULE);
const pid = Number(process.env.SLEEPER_PID);
await freezeProcess(pid);
console.log('state ' + processState(pid));
throw new Error('the test failed with the process still frozen');
`;

const children = new Set<ChildProcess>();

/** A child process that does nothing for a minute. */
async function sleeper(): Promise<number> {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' });
  children.add(child);
  await once(child, 'spawn');
  if (child.pid === undefined) throw new Error('no pid');
  return child.pid;
}

afterEach(async () => {
  thawAll();
  for (const child of children) child.kill('SIGKILL');
  children.clear();
});

describe('freezeProcess / thawProcess', () => {
  it.runIf(onLinux)('stops a process and resumes it', async () => {
    const pid = await sleeper();
    expect(processState(pid)).not.toBe('T');

    await freezeProcess(pid);
    expect(processState(pid)).toBe('T');
    expect(frozenProcesses()).toEqual([pid]);

    await thawProcess(pid);
    expect(processState(pid)).not.toBe('T');
    expect(frozenProcesses()).toEqual([]);
    await thawProcess(pid); // idempotent
  });

  it('refuses pids that would signal a process group, or this process', async () => {
    await expect(freezeProcess(0)).rejects.toThrow(/`pid` to be an integer >= 1/);
    await expect(freezeProcess(-1)).rejects.toThrow(/`pid` to be an integer >= 1/);
    await expect(freezeProcess(1.5)).rejects.toThrow(/`pid` to be an integer >= 1/);
    await expect(thawProcess(0)).rejects.toThrow(/`pid` to be an integer >= 1/);
    await expect(freezeProcess(process.pid)).rejects.toThrow(/test process itself/);
    expect(frozenProcesses()).toEqual([]);
  });

  it('rejects freezing a process that is gone, and counts it as thawed', async () => {
    const child = spawn(process.execPath, ['-e', '']);
    await once(child, 'exit');
    const pid = child.pid as number;
    await expect(freezeProcess(pid)).rejects.toMatchObject({ code: 'ESRCH' });
    expect(frozenProcesses()).toEqual([]);
    await thawProcess(pid);
  });

  it.runIf(onLinux)('thaws what a test process froze when that process dies', async () => {
    const pid = await sleeper();
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', DYING_SCRIPT], {
      env: { ...process.env, FREEZE_MODULE, SLEEPER_PID: String(pid) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(child);
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      stdout += text;
    });
    child.stderr.resume();
    const [code] = (await once(child, 'exit')) as [number | null];

    expect(code).toBe(1);
    expect(stdout).toBe('state T\n');
    expect(processState(pid)).not.toBe('T');
  });
});

describeWithRedis('freezeProcess on redis-server', (getRedis) => {
  it('a frozen Redis keeps the connection and answers nothing; thawed, it answers again', async () => {
    const redis = getRedis();
    const client = new Redis(redis.url, { commandTimeout: 200, lazyConnect: true });
    client.on('error', () => undefined);
    let closes = 0;
    client.on('close', () => closes++);
    try {
      await client.connect();
      expect(await client.ping()).toBe('PONG');

      await freezeProcess(redis.pid);
      await expect(client.ping()).rejects.toThrow('Command timed out');
      // Hung, not dead: a new connection still succeeds (the kernel completes it into the backlog).
      const late = connect({ host: redis.host, port: redis.port });
      try {
        await once(late, 'connect');
      } finally {
        late.destroy();
      }

      await thawProcess(redis.pid);
      // Nothing was lost, so the same connection carries on in step: no reconnect, no reset.
      expect(await client.ping()).toBe('PONG');
      expect(closes).toBe(0);
      expect(client.status).toBe('ready');
    } finally {
      await thawProcess(redis.pid);
      client.disconnect();
    }
  });
});
