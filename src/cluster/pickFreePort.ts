import { once } from 'node:events';
import { createServer } from 'node:net';

/**
 * A port the OS says is free on `host`, for `port: 0`. The primary picks it once, before the first
 * fork, and every worker binds it: workers that each listened on port 0 would share one port only
 * while one of them held it (the cluster module keys its shared socket by the requested port, 0),
 * so a cluster whose workers had all died at once would come back on another port; and a worker
 * told the concrete port while others hold it on "0" fails with EADDRINUSE. Between this probe's
 * close and the first worker's bind another process could take the port; the first worker then
 * fails to start and says so.
 */
export async function pickFreePort(host: string | undefined): Promise<number> {
  const probe = createServer();
  probe.listen(0, host);
  await once(probe, 'listening');
  const address = probe.address();
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  if (address === null || typeof address !== 'object') throw new Error('no port from the OS');
  return address.port;
}
