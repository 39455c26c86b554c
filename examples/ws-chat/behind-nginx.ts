// Three ws-chat "machines" (supervisors with two workers each) on one Redis, behind nginx with
// `ip_hash`, to try by hand what test/examples/ws-chat-nginx.test.ts checks:
//
//   npm run example:ws-chat:nginx            (needs nginx and redis-server, or REDIS_URL)
//   npx tsx examples/ws-chat/client.ts alice <printed ws:// url> 127.1.0.1
//   npx tsx examples/ws-chat/client.ts bob   <printed ws:// url> 127.2.0.1
//   kill -9 -<pid of a machine, printed>      then watch its users go offline and come back
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { startNginx } from './nginx.js';

const SERVER = fileURLToPath(new URL('./server.ts', import.meta.url));
const children: ChildProcess[] = [];

function start(command: string, args: string[], env: Record<string, string>, ready: RegExp): Promise<string> {
  const child = spawn(command, args, {
    env: { ...process.env, ...env },
    detached: true,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  let output = '';
  return new Promise((resolve, reject) => {
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
      const match = ready.exec(output);
      if (match) resolve(match[1] ?? '');
    });
    child.once('exit', (code) =>
      reject(new Error(`${command} exited (${code}) before it was ready:\n${output}`)),
    );
  });
}

function freePort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  return once(server, 'listening').then(() => {
    const { port } = server.address() as net.AddressInfo;
    server.close();
    return port;
  });
}

let redisUrl = process.env.REDIS_URL ?? '';
if (redisUrl === '') {
  const port = await freePort();
  await start(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {},
    /(Ready to accept connections)/,
  );
  redisUrl = `redis://127.0.0.1:${port}`;
}
const machines = await Promise.all(
  ['a', 'b', 'c'].map((name) =>
    start(
      process.execPath,
      ['--import', 'tsx', SERVER],
      {
        NAME: name,
        WORKERS: '2',
        PORT: '0',
        ADMIN_PORT: '0',
        REDIS_URL: redisUrl,
        PRESENCE_HEARTBEAT_MS: '1000',
        TRUSTED_PROXIES: '127.0.0.1', // nginx: route by the client it names in X-Forwarded-For
      },
      /listening on http:\/\/([\d.:]+)/,
    ),
  ),
);
const nginx = await startNginx(machines);
for (const [i, address] of machines.entries()) {
  console.log(`machine ${'abc'[i]} on ${address} (process group ${children.at(-3 + i)?.pid})`);
}
console.log(
  `ws-chat behind nginx on ${nginx.url.replace('http', 'ws')} (Redis ${redisUrl}); Ctrl-C stops everything`,
);

/** SIGTERM to a child's process group, resolved once it exited. */
async function stop(child: ChildProcess): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  process.kill(-child.pid, 'SIGTERM');
  await exited;
}

/** nginx first, then the machines (they drain: sockets closed with 1001), then our redis-server. */
async function stopAll(): Promise<void> {
  await nginx.stop();
  const machineChildren = children.slice(-3);
  await Promise.all(machineChildren.map(stop));
  await Promise.all(children.slice(0, -3).map(stop));
}
process.once('SIGINT', () => void stopAll());
process.once('SIGTERM', () => void stopAll());
