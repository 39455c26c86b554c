// ws-chat: a WebSocket chat on every core. `supervise({ sticky: true })` makes the primary own the
// port and hand each connection to the worker its client address hashes to, so a client's HTTP
// requests and its WebSocket land on the same worker. Workers reach each other over the cluster
// bus; with REDIS_URL the primary bridges that bus to Redis pub/sub (one connection pair per
// machine), so every worker of every machine hears every other, and direct messages are kept in a
// Redis Mailbox for users who are offline.
//
//   npm run example:ws-chat     then: npx tsx examples/ws-chat/client.ts alice

import { Redis } from 'ioredis';
import { RedisBus } from 'loadstone/cache';
import { ClusterBus, supervise } from 'loadstone/cluster';
import { Mailbox } from 'loadstone/mailbox';
import { PrometheusExporter } from 'loadstone/prometheus';
import { Registry } from 'prom-client';
import { createChatServer } from './chat.js';
import type { Direct } from './delivery.js';

const HOST = process.env.HOST ?? '127.0.0.1';
const PORT = Number(process.env.PORT ?? 3002);
const ADMIN_PORT = Number(process.env.ADMIN_PORT ?? 9464);
const WORKERS = Number(process.env.WORKERS ?? 2);
const MAX_CONNECTIONS = Number(process.env.MAX_CONNECTIONS_PER_WORKER ?? 1_000);
const REDIS_URL = process.env.REDIS_URL || undefined;
const HEARTBEAT_MS = Number(process.env.PRESENCE_HEARTBEAT_MS ?? 5_000);
const NAME = process.env.NAME ?? '';
// Behind a proxy: its address(es), so the router keys on the client it names in X-Forwarded-For.
const TRUSTED_PROXIES = (process.env.TRUSTED_PROXIES ?? '').split(',').filter(Boolean);

function redisClient(): Redis {
  const client = new Redis(REDIS_URL as string);
  // Without an `error` listener ioredis prints "Unhandled error event" on every reconnect
  // attempt: say it once per outage (the bus subscribes again when Redis is back).
  let down = false;
  client.on('error', (error: Error) => {
    if (!down) console.warn(`ws-chat: Redis unreachable (${error.message}); retrying`);
    down = true;
  });
  client.on('ready', () => {
    down = false;
  });
  return client;
}

// Served by the primary on the private admin port (GET /metrics); unused in workers.
const registry = new Registry();

const result = supervise(
  (ctx) => {
    let mailbox: Mailbox<Direct> | undefined;
    if (REDIS_URL !== undefined) {
      const client = redisClient(); // commands only: the bus's pub/sub pair is the primary's
      ctx.register({ close: () => client.quit() }); // closes last (reverse order)
      mailbox = new Mailbox<Direct>({ client, maxMessages: 1_000 });
    }
    return createChatServer(ctx, {
      bus: new ClusterBus(),
      mailbox,
      heartbeatMs: HEARTBEAT_MS,
      maxConnections: MAX_CONNECTIONS,
      name: NAME,
    });
  },
  {
    port: PORT,
    host: HOST,
    workers: WORKERS,
    // A client's upgrade and its later reconnects reach the same worker.
    sticky: TRUSTED_PROXIES.length === 0 ? true : { trustedProxies: TRUSTED_PROXIES },
    metrics: { port: ADMIN_PORT, host: HOST, registry },
  },
);

if (result.role === 'primary') {
  // The cluster's own families, the bus relay's, and every worker's (labelled worker="w0", …).
  const exporter = new PrometheusExporter().addSupervisor(result).add('bus', result.busRelay);
  if (REDIS_URL !== undefined) {
    // Before start(): the workers' first messages (presence) cross too.
    exporter.add('bridge', result.bridgeBus(new RedisBus({ client: redisClient() })));
  }
  exporter.register(registry);
  await result.start();
  const bus = REDIS_URL ? `the cluster bus bridged to Redis pub/sub at ${REDIS_URL}` : 'the cluster bus';
  // Admin first: whoever waits for "listening on" may read the admin address at once.
  console.log(`admin on http://${HOST}:${result.metricsAddress?.port} (status page at /, GET /metrics)`);
  console.log(`ws-chat listening on http://${HOST}:${result.port} (${WORKERS} workers, ${bus})`);
}
