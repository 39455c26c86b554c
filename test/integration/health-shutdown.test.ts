// A real server process with a HealthMonitor receives SIGTERM: readiness turns 503 at once while
// liveness and ordinary requests keep being served through the propagation window, a request in
// flight completes, and the process then exits by itself (the monitor's timer is unref'd).
import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, it } from 'vitest';
import { nextMessage } from '../helpers/processes.js';

const SERVER = fileURLToPath(new URL('../fixtures/health/probe-server.ts', import.meta.url));

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

it('SIGTERM: readiness 503 at once, liveness and traffic still served, in-flight request completes, clean exit', async () => {
  const child = fork(SERVER, {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  children.push(child);
  const { port } = await nextMessage<{ type: string; port: number }>(child, 'listening');
  const base = `http://127.0.0.1:${port}`;

  expect((await fetch(`${base}/ready`)).status).toBe(200);
  const slowHeld = nextMessage(child, 'slow:held');
  const slow = fetch(`${base}/slow`);
  await slowHeld;

  const began = nextMessage(child, 'shutdown:began');
  child.kill('SIGTERM');
  await began;

  const ready = await fetch(`${base}/ready`);
  expect(ready.status).toBe(503);
  expect(await ready.json()).toMatchObject({ ready: false, shuttingDown: true });
  const live = await fetch(`${base}/live`);
  expect(live.status).toBe(200);
  expect(await live.json()).toMatchObject({ alive: true, shuttingDown: true, pid: child.pid });
  expect(await (await fetch(`${base}/work`)).text()).toBe('work');

  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  child.send('proceed');
  child.send('release');
  const slowResponse = await slow;
  expect(slowResponse.status).toBe(200);
  expect(await slowResponse.text()).toBe('slow done');
  const [code, signal] = await exited;
  expect({ code, signal }).toEqual({ code: 0, signal: null });
});
