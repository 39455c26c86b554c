// fastify-content: one Fastify process serving content through loadstone's cache, priority
// queue, sharder, balancer, breakers and pools. See README.md for the routes.
import type { AddressInfo } from 'node:net';
import { buildAdminApp } from './admin.js';
import { buildApp } from './app.js';
import { createServices } from './services.js';

const host = process.env.HOST ?? '127.0.0.1';
const port = Number(process.env.PORT ?? 3000);
const adminPort = Number(process.env.ADMIN_PORT ?? 9464);

const services = await createServices();
const app = buildApp(services);
const admin = buildAdminApp(services);

await app.listen({ host, port });
await admin.listen({ host, port: adminPort });
// The bound ports (PORT=0 picks a free one). `listening on` last: it means everything is up.
const portOf = (server: typeof app.server) => (server.address() as AddressInfo).port;
console.log(`admin on http://${host}:${portOf(admin.server)}`);
console.log(`listening on http://${host}:${portOf(app.server)}`);

let stopping = false;
process.on('SIGTERM', () => {
  if (stopping) return;
  stopping = true;
  void (async () => {
    services.monitor.beginShutdown(); // readiness turns 503 while in-flight requests finish
    await app.close(); // stop accepting, finish in-flight requests
    await admin.close();
    await services.close(); // drain the generation queue, then balancer, pools, cache, monitor
    console.log('stopped');
  })().catch((error: unknown) => {
    console.error('shutdown failed:', error);
    process.exitCode = 1;
  });
});
