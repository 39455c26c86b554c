// The server of the demo's cluster section: one file for the primary and its workers, as a user
// writes it. `examples/demo/cluster.ts` starts it as a child process and talks to the primary over
// IPC (`started`, `reload`, `reloaded`); SIGTERM stops it gracefully.
import { createServer } from 'node:http';
import { supervise } from 'loadstone/cluster';
import { HealthMonitor } from 'loadstone/health';

/** About 1 ms of CPU per request, standing in for real work (templating, JSON, validation). */
function work(): void {
  const end = performance.now() + 1;
  while (performance.now() < end);
}

const result = supervise(
  (ctx) => {
    const monitor = new HealthMonitor({ intervalMs: 250 });
    ctx.useHealth(monitor); // readiness fails first when this worker drains; snapshots reach the primary
    ctx.register(monitor);
    const ready = monitor.readinessHandler();
    return createServer((req, res) => {
      if (req.url === '/ready') return ready(req, res);
      work();
      res.setHeader('x-pid', String(process.pid));
      res.end('ok');
    });
  },
  { port: 0, host: '127.0.0.1', workers: 2, heartbeatIntervalMs: 250 },
);

if (result.role === 'primary') {
  const send = (message: object) => process.send?.(message);
  result.start().then(
    () => send({ event: 'started', port: result.port }),
    (error: unknown) => send({ event: 'failed', message: String(error) }),
  );
  process.on('message', (message: { cmd?: string }) => {
    if (message.cmd === 'reload') {
      const started = performance.now();
      result
        .reload()
        .then(() => send({ event: 'reloaded', ms: performance.now() - started, health: result.health() }));
    }
  });
  process.channel?.unref(); // the demo's IPC channel must not keep the primary alive after stop
}
