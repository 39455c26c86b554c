import { once } from 'node:events';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { ConnectionCap } from './ConnectionCap.js';

const servers: http.Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** Sends one request on a new connection and reads until the server closes it or answers. */
function request(port: number): Promise<{ socket: net.Socket; reply: Promise<string> }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port }, () => {
      socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
      let text = '';
      const reply = new Promise<string>((done) => {
        socket.on('data', (chunk: Buffer) => {
          text += chunk.toString('latin1');
          if (text.includes('\r\n\r\n') && /\n$/.test(text)) done(text);
        });
        socket.on('end', () => done(text));
      });
      resolve({ socket, reply });
    });
    socket.on('error', reject);
  });
}

describe('ConnectionCap', () => {
  it('refuses connections past the cap with a 503 before the server sees them, and counts them', async () => {
    let served = 0;
    const server = http.createServer((_req, res) => {
      served++;
      res.end('ok\n');
    });
    servers.push(server);
    const cap = new ConnectionCap(server, 2);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;

    const first = await request(port);
    const second = await request(port);
    expect(await first.reply).toMatch(/^HTTP\/1.1 200/);
    expect(await second.reply).toMatch(/^HTTP\/1.1 200/);
    expect(cap.open).toBe(2);

    const third = await request(port);
    const refused = await third.reply;
    expect(refused).toMatch(/^HTTP\/1.1 503 Service Unavailable\r\n/);
    expect(refused).toMatch(/\r\nRetry-After: 1\r\n/);
    expect(refused).toMatch(/\r\nConnection: close\r\n/);
    expect(refused).toMatch(/\r\nContent-Type: text\/plain; charset=utf-8\r\n/);
    const [head, body] = refused.split('\r\n\r\n');
    expect(head).toMatch(new RegExp(`\\r\\nContent-Length: ${Buffer.byteLength(body ?? '')}(\\r\\n|$)`));
    expect(body).toBe('Server at connection limit\n');
    expect(served).toBe(2); // the refused request never reached the handler
    expect(cap).toMatchObject({ open: 2, refused: 1 });

    // A keep-alive connection closes: its place is free for the next one.
    first.socket.destroy();
    while (cap.open > 1) await sleep(5);
    const fourth = await request(port);
    expect(await fourth.reply).toMatch(/^HTTP\/1.1 200/);
    expect(cap).toMatchObject({ open: 2, refused: 1 });
    for (const c of [second, third, fourth]) c.socket.destroy();
  });

  it('passes every other event through unchanged', async () => {
    const server = http.createServer();
    new ConnectionCap(server, 1);
    const seen: unknown[] = [];
    server.on('custom', (...args: unknown[]) => seen.push(args));
    expect(server.emit('custom', 1, 'two')).toBe(true);
    expect(server.emit('nobody-listens')).toBe(false);
    expect(seen).toEqual([[1, 'two']]);
  });
});
