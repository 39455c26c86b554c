// A real Express 5 process wired with loadstone/express receives SIGTERM: readiness turns 503 at
// once while traffic is still served for the delay, then the server stops accepting and a request
// in flight completes (with `Connection: close`), the closeables close, and the process exits 0 by itself.
import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, it } from 'vitest';
import { nextMessage } from '../helpers/processes.js';

const SERVER = fileURLToPath(new URL('../fixtures/express/shutdown-server.ts', import.meta.url));

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

/** A GET that reports the `Connection` header too (fetch hides it). */
function get(
  port: number,
  path: string,
): Promise<{ status: number; connection: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, body }));
    })
      .on('error', reject)
      .end();
  });
}

it('SIGTERM: readiness 503, traffic served through the delay, in-flight request completes, cache closed, exit 0', async () => {
  const child = fork(SERVER, {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  children.push(child);
  const { port } = await nextMessage<{ type: string; port: number }>(child, 'listening');
  expect((await get(port, '/ready')).status).toBe(200);
  const slowHeld = nextMessage(child, 'slow:held');
  const slow = get(port, '/slow');
  await slowHeld;

  const closed = nextMessage<{ type: string; what: string }>(child, 'closed');
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  child.kill('SIGTERM');
  // Within the 1.5 s delay: not ready, yet still serving.
  await new Promise((resolve) => setTimeout(resolve, 200));
  const ready = await get(port, '/ready');
  expect(ready.status).toBe(503);
  expect(JSON.parse(ready.body)).toMatchObject({
    ready: false,
    shuttingDown: true,
    reasons: ['shutting down'],
  });
  expect((await get(port, '/work')).body).toBe('work');
  expect((await get(port, '/live')).status).toBe(200);

  // After the delay the server stops accepting: wait for a new connection to be refused.
  for (;;) {
    const refused = await get(port, '/work').then(
      () => false,
      (error: NodeJS.ErrnoException) => error.code === 'ECONNREFUSED',
    );
    if (refused) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  child.send('release');
  const done = await slow;
  expect(done).toEqual({ status: 200, connection: 'close', body: 'slow done' });
  expect((await closed).what).toBe('cache');
  const [code, signal] = await exited;
  expect({ code, signal }).toEqual({ code: 0, signal: null });
});
