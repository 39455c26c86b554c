// A terminal client for trying ws-chat by hand:
//   npx tsx examples/ws-chat/client.ts <user> [ws://127.0.0.1:3002] [local address, e.g. 127.0.0.2]
// Type a line to say it to everyone, `@bob hello` to say it to bob only. Ctrl-D quits.
// Sticky routing hashes the client address: pass another loopback address to land on another worker.
import { createInterface } from 'node:readline';
import { WebSocket } from 'ws';

const [user = 'guest', url = 'ws://127.0.0.1:3002', localAddress] = process.argv.slice(2);
const ws = new WebSocket(url, { localAddress });

ws.on('open', () => {
  ws.send(JSON.stringify({ type: 'join', user }));
  createInterface({ input: process.stdin })
    .on('line', (line) => {
      const direct = /^@(\S+)\s+(.*)$/.exec(line);
      const say = direct ? { type: 'say', to: direct[1], text: direct[2] } : { type: 'say', text: line };
      ws.send(JSON.stringify(say));
    })
    .on('close', () => ws.close(1000, 'bye'));
});
ws.on('message', (data) => {
  const m = JSON.parse(String(data)) as {
    type: string;
    id?: string;
    from?: string;
    to?: string;
    text?: string;
    online?: string[];
    worker: string;
  };
  // A direct message from the mailbox (with Redis): acknowledge it, or it comes again on reconnect.
  if (m.type === 'message' && m.id !== undefined) ws.send(JSON.stringify({ type: 'ack', id: m.id }));
  if (m.type === 'message') console.log(`${m.from}${m.id === undefined ? '' : ' (to you)'}: ${m.text}`);
  else if (m.type === 'sent') console.log(`[stored for ${m.to}]`);
  else if (m.type === 'presence') console.log(`[online via ${m.worker}] ${m.online?.join(', ')}`);
  else console.log(`[${m.type}] ${m.text ?? ''}`);
});
ws.on('unexpected-response', (_req, res) => {
  console.error(`refused: HTTP ${res.statusCode}`); // 503: this worker is full
  process.exit(1);
});
ws.on('error', (error) => console.error(`error: ${error.message}`));
ws.on('close', (code, reason) => {
  console.log(`closed ${code} ${String(reason)}`); // 1001 "going away": the server is shutting down
  process.exit(0);
});
