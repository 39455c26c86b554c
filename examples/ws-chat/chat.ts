// One worker's chat server: an http.Server carrying a `ws` WebSocketServer, the health probes,
// a per-worker connection limit, and the bus that connects this worker's users to everyone else's.
import http from 'node:http';
import type { Duplex } from 'node:stream';
import type { Bus, JsonValue } from 'loadstone';
import type { WorkerContext } from 'loadstone/cluster';
import { HealthMonitor } from 'loadstone/health';
import { PrometheusExporter } from 'loadstone/prometheus';
import { type RawData, type WebSocket, WebSocketServer } from 'ws';
import { Presence } from './presence.js';

export type ChatServerOptions = {
  /** A ClusterBus (workers of one machine) or a RedisBus (workers of every machine). */
  readonly bus: Bus;
  /** WebSocket connections this worker accepts at once; the next upgrade gets a 503. */
  readonly maxConnections: number;
  /** Counts what this worker does, for /metrics. */
  readonly counters: ChatCounters;
};

export type ChatCounters = { connections: number; rejected: number; messages: number };

const SAY = 'ws-chat:say';
const USER = /^[\w.-]{1,32}$/;
const MAX_TEXT = 1_000;

type Said = { from: string; to?: string; text: string };

export function createChatServer(ctx: WorkerContext, options: ChatServerOptions): http.Server {
  const { bus, maxConnections, counters } = options;
  const health = new HealthMonitor();
  ctx.useHealth(health); // readiness turns 503 as soon as this worker starts draining
  ctx.register(health);
  ctx.register(bus); // closed after the sockets: the goodbye roster still goes out
  // This worker's metrics ride on its heartbeats to the primary, which serves /metrics: the
  // library's families, and the chat's own under their own prefix (chat_connections,
  // chat_messages_total, chat_rejected_total: a `…Total` field is exported as a counter).
  const library = new PrometheusExporter().add('worker', health);
  const app = new PrometheusExporter({ prefix: 'chat' }).add('ws-chat', {
    stats: () => ({
      connections: counters.connections,
      messagesTotal: counters.messages,
      rejectedTotal: counters.rejected,
    }),
  });
  ctx.useMetrics({ collect: () => [...library.collect(), ...app.collect()] });
  const live = health.livenessHandler();
  const ready = health.readinessHandler();

  const server = http.createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path === '/health/live') live(req, res);
    else if (path === '/health/ready') ready(req, res);
    else if (path === '/') res.end(`ws-chat worker ${ctx.slot}: connect a WebSocket client to this URL\n`);
    else res.writeHead(404).end();
  });

  const joined = new Map<WebSocket, string>();
  const send = (ws: WebSocket, message: Record<string, JsonValue>): void => {
    ws.send(JSON.stringify({ ...message, worker: ctx.slot }));
  };
  const presence = new Presence(bus, (online) => {
    for (const ws of joined.keys()) send(ws, { type: 'presence', online: [...online] });
  });
  presence.start();

  // Every worker gets every `say` (its own included) and hands it to its own sockets.
  bus.subscribe(SAY, (message) => {
    const said = message as Partial<Said> | null;
    if (typeof said?.from !== 'string' || typeof said.text !== 'string') return;
    for (const [ws, user] of joined) {
      if (said.to === undefined || said.to === user)
        send(ws, { type: 'message', from: said.from, text: said.text });
    }
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: 4_096 });
  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    // The StickyRouter in the primary chose this worker by client address and cannot know it is
    // full, so the limit is enforced here, before the handshake: the client sees a plain 503.
    if (ctx.signal.aborted || counters.connections >= maxConnections) {
      counters.rejected++;
      socket.end(
        'HTTP/1.1 503 Service Unavailable\r\nRetry-After: 5\r\nConnection: close\r\nContent-Length: 0\r\n\r\n',
      );
      return;
    }
    // Counted on the raw socket, so a handshake that fails (and never becomes a WebSocket)
    // gives its place back too.
    counters.connections++;
    socket.once('close', () => counters.connections--);
    wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws));
  });

  function onConnection(ws: WebSocket): void {
    // A protocol error (e.g. a frame over maxPayload) closes the socket with 1002/1009; without a
    // listener the 'error' event would crash the worker.
    ws.on('error', () => {});
    ws.on('message', (data: RawData) => {
      let m: { type?: unknown; user?: unknown; to?: unknown; text?: unknown };
      try {
        m = JSON.parse(data.toString()) as typeof m;
      } catch {
        return send(ws, { type: 'error', text: 'not JSON' });
      }
      const me = joined.get(ws);
      if (m?.type === 'join' && me === undefined) {
        if (typeof m.user !== 'string' || !USER.test(m.user))
          return send(ws, { type: 'error', text: 'user: 1-32 letters, digits, _ . -' });
        joined.set(ws, m.user);
        const before = presence.online;
        presence.add(m.user); // pushes presence to everyone here when the list changed
        // A second connection of someone already online changes nothing: tell it who is here.
        if (presence.online === before) send(ws, { type: 'presence', online: [...before] });
      } else if (m?.type === 'say' && me !== undefined) {
        if (typeof m.text !== 'string' || m.text.length > MAX_TEXT)
          return send(ws, { type: 'error', text: `text: a string of at most ${MAX_TEXT} characters` });
        if (m.to !== undefined && (typeof m.to !== 'string' || !presence.online.includes(m.to)))
          return send(ws, { type: 'error', text: `${String(m.to)} is not online` });
        counters.messages++;
        const said: Said =
          m.to === undefined ? { from: me, text: m.text } : { from: me, to: m.to, text: m.text };
        bus.publish(SAY, said).catch(() => send(ws, { type: 'error', text: 'not delivered, try again' }));
      } else {
        send(ws, { type: 'error', text: me === undefined ? 'join first' : 'unknown message type' });
      }
    });
    ws.on('close', () => {
      const user = joined.get(ws);
      if (user === undefined) return;
      joined.delete(ws);
      if (!ctx.signal.aborted) presence.remove(user);
    });
  }

  // Graceful shutdown. The worker's drain waits for every connection to close, and it runs the
  // registered closeables only after that, so upgraded sockets must be closed here, when the
  // drain begins: leave presence (one goodbye instead of one leave per user), then close each
  // socket with 1001 "going away" so clients reconnect, which sticky routing sends to a live worker.
  ctx.signal.addEventListener(
    'abort',
    () => {
      presence.stop();
      for (const ws of wss.clients) ws.close(1001, 'going away');
      // A client that never answers the close frame must not hold the drain to its deadline.
      setTimeout(() => {
        for (const ws of wss.clients) ws.terminate();
      }, 2_000).unref();
    },
    { once: true },
  );
  return server;
}
