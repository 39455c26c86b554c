// One worker's chat server: an http.Server carrying a `ws` WebSocketServer behind loadstone's
// WebSocketGate (a per-worker connection limit, 1001 to every socket on shutdown), the health
// probes, who is online (loadstone `Presence`), broadcasts over the bus, and
// direct messages through the `Mailbox` (with Redis), so a user who was offline, or whose worker
// or machine died, gets them on reconnecting anywhere, in order, once.
import http from 'node:http';
import type { Bus, JsonValue } from 'loadstone';
import type { WorkerContext } from 'loadstone/cluster';
import { HealthMonitor } from 'loadstone/health';
import { isMailboxId, type Mailbox } from 'loadstone/mailbox';
import { Presence } from 'loadstone/presence';
import { PrometheusExporter } from 'loadstone/prometheus';
import { WebSocketGate } from 'loadstone/ws';
import { type RawData, type WebSocket, WebSocketServer } from 'ws';
import { type Direct, DirectDelivery } from './delivery.js';

export type ChatServerOptions = {
  /** A ClusterBus (workers of one machine) or a RedisBus (workers of every machine). */
  readonly bus: Bus;
  /** Direct messages kept for offline users (needs Redis); without it they go live only. */
  readonly mailbox: Mailbox<Direct> | undefined;
  /** Presence heartbeat: a lost machine's users go offline after 3 of these. */
  readonly heartbeatMs: number;
  /** WebSocket connections this worker accepts at once; the next upgrade gets a 503. */
  readonly maxConnections: number;
  /** Names this worker in every message (`<name>/w0`), or just the slot when empty. */
  readonly name: string;
};

const SAY = 'ws-chat:say';
const MAIL = 'ws-chat:mail';
const USER = /^[\w.-]{1,32}$/;
const MAX_TEXT = 1_000;
/** Presence lists go out at most this often: a burst of joins is one list, not one per join. */
const ROSTER_MS = 100;

type Said = { from: string; to?: string; text: string };
type ClientMessage = {
  type?: unknown;
  user?: unknown;
  after?: unknown;
  to?: unknown;
  text?: unknown;
  id?: unknown;
};

export function createChatServer(ctx: WorkerContext, options: ChatServerOptions): http.Server {
  const { bus, mailbox, maxConnections } = options;
  const worker = options.name === '' ? ctx.slot : `${options.name}/${ctx.slot}`;
  const health = new HealthMonitor();
  ctx.useHealth(health); // readiness turns 503 as soon as this worker starts draining
  ctx.register(health);
  ctx.register(bus); // closed last (reverse order): presence's goodbye still goes out
  const presence = new Presence({ bus, heartbeatMs: options.heartbeatMs });
  ctx.register(presence); // closing leaves every user of this worker at once, everywhere
  // Metrics ride on heartbeats to the primary, which serves /metrics: the library's families and
  // the chat's own (chat_connections, chat_messages_total, chat_rejected_total).
  let messages = 0;
  const library = new PrometheusExporter().add('worker', health);
  const app = new PrometheusExporter({ prefix: 'chat' }).add('ws-chat', {
    stats: () => {
      const { connections, rejectedFullTotal, rejectedClosingTotal } = gate.stats();
      return {
        connections,
        messagesTotal: messages,
        rejectedTotal: rejectedFullTotal + rejectedClosingTotal,
      };
    },
  });
  ctx.useMetrics({ collect: () => [...library.collect(), ...app.collect()] });
  const live = health.livenessHandler();
  const ready = health.readinessHandler();

  const server = http.createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path === '/health/live') live(req, res);
    else if (path === '/health/ready') ready(req, res);
    else if (path === '/') res.end(`ws-chat worker ${worker}: connect a WebSocket client to this URL\n`);
    else res.writeHead(404).end();
  });

  const joined = new Map<WebSocket, string>();
  const send = (ws: WebSocket, message: Record<string, JsonValue>): void => {
    ws.send(JSON.stringify({ ...message, worker }));
  };
  const roster = (): string[] =>
    presence
      .list()
      .map((entry) => entry.id)
      .sort();
  let rosterTimer: NodeJS.Timeout | undefined;
  const rosterChanged = (): void => {
    rosterTimer ??= setTimeout(() => {
      rosterTimer = undefined;
      const online = roster();
      for (const ws of joined.keys()) send(ws, { type: 'presence', online });
    }, ROSTER_MS);
    rosterTimer.unref();
  };
  presence.on('online', rosterChanged).on('offline', rosterChanged);
  const delivery = mailbox === undefined ? undefined : new DirectDelivery(mailbox, send);

  // Every worker gets every broadcast (its own included) and hands it to its own sockets. Without
  // a mailbox, direct messages travel here too, live only.
  bus.subscribe(SAY, (message) => {
    const said = message as Partial<Said> | null;
    if (typeof said?.from !== 'string' || typeof said.text !== 'string') return;
    for (const [ws, user] of joined) {
      if (said.to === undefined || said.to === user)
        send(ws, { type: 'message', from: said.from, text: said.text });
    }
  });
  bus.subscribe(MAIL, (user) => {
    if (typeof user === 'string') delivery?.notify(user);
  });

  async function sayTo(ws: WebSocket, from: string, to: string, text: string): Promise<void> {
    if (mailbox === undefined) {
      if (!presence.isOnline(to)) return send(ws, { type: 'error', text: `${to} is not online` });
      return bus.publish(SAY, { from, to, text });
    }
    const id = await mailbox.post(to, { from, text }); // stored before it is sent
    send(ws, { type: 'sent', to, id, online: presence.isOnline(to) });
    await bus.publish(MAIL, to);
  }

  // Past maxConnections an upgrade gets a plain 503 before the handshake (the router in front
  // chose this worker and cannot know it is full); when the drain begins (ctx.signal), every
  // socket gets 1001 "going away", so clients reconnect and the router sends them to a live worker.
  const wss = new WebSocketServer({ noServer: true, maxPayload: 4_096 });
  const gate = new WebSocketGate({ server, wss, maxConnections, signal: ctx.signal, onConnection });

  function onConnection(ws: WebSocket): void {
    ws.on('message', (data: RawData) => {
      let m: ClientMessage;
      try {
        m = JSON.parse(data.toString()) as ClientMessage;
      } catch {
        return send(ws, { type: 'error', text: 'not JSON' });
      }
      const me = joined.get(ws);
      if (m?.type === 'join' && me === undefined) {
        if (typeof m.user !== 'string' || !USER.test(m.user))
          return send(ws, { type: 'error', text: 'user: 1-32 letters, digits, _ . -' });
        if (m.after !== undefined && !isMailboxId(m.after))
          return send(ws, { type: 'error', text: 'after: the id of the last message received' });
        joined.set(ws, m.user);
        presence.join(m.user).catch(() => undefined);
        send(ws, { type: 'presence', online: roster() });
        delivery?.attach(ws, m.user, m.after);
      } else if (m?.type === 'say' && me !== undefined) {
        if (typeof m.text !== 'string' || m.text.length > MAX_TEXT)
          return send(ws, { type: 'error', text: `text: a string of at most ${MAX_TEXT} characters` });
        if (m.to !== undefined && (typeof m.to !== 'string' || !USER.test(m.to)))
          return send(ws, { type: 'error', text: 'to: a user name' });
        messages++;
        const sent =
          m.to === undefined ? bus.publish(SAY, { from: me, text: m.text }) : sayTo(ws, me, m.to, m.text);
        sent.catch(() => send(ws, { type: 'error', text: 'not delivered, try again' }));
      } else if (m?.type === 'ack' && me !== undefined && isMailboxId(m.id)) {
        delivery?.ack(me, m.id);
      } else {
        send(ws, { type: 'error', text: me === undefined ? 'join first' : 'unknown message type' });
      }
    });
    ws.on('close', () => {
      const user = joined.get(ws);
      if (user === undefined) return;
      joined.delete(ws);
      delivery?.detach(ws);
      presence.leave(user).catch(() => undefined);
    });
  }

  return server;
}
