// A HealthMonitor driven by hand for tests: a sampler that returns what the test sets, a timer
// that never fires (the test calls refresh()), and HTTP servers on loopback, all closed after each
// test.
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, vi } from 'vitest';
import { HealthMonitor } from '../../src/health/HealthMonitor.js';
import type { HealthMonitorOptions } from '../../src/health/HealthMonitorOptions.js';
import type { HealthSample, HealthSampler } from '../../src/health/HealthSample.js';

const HOUR = 3_600_000;
const MB = 1024 * 1024;

/** What a quiet process looks like; each test overrides what it exercises. */
export const QUIET: HealthSample = {
  eventLoopDelay: { p50: 1, p99: 2, max: 3, mean: 1 },
  eventLoopUtilization: 0.1,
  heapUsedBytes: 50 * MB,
  heapLimitBytes: 1000 * MB,
  rssBytes: 100 * MB,
  cpuPercent: 5,
};

/** A sampler that returns whatever the test put in `next` (and counts its calls). */
export class ScriptedSampler implements HealthSampler {
  next: HealthSample = QUIET;
  calls = 0;
  disposed = false;
  sample(): HealthSample {
    this.calls++;
    return this.next;
  }
  [Symbol.dispose](): void {
    this.disposed = true;
  }
  /** Sets the next sample's event-loop delay p99 (ms). */
  delay(p99: number): this {
    this.next = { ...QUIET, eventLoopDelay: { ...QUIET.eventLoopDelay, p99, max: p99 } };
    return this;
  }
}

export const monitors: HealthMonitor[] = [];
const servers: Server[] = [];
afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(monitors.splice(0).map((m) => m.destroy()));
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

/** A monitor on a scripted sampler whose timer never fires during the test: driven by refresh(). */
export function scripted(options: HealthMonitorOptions = {}) {
  const sampler = new ScriptedSampler();
  const monitor = new HealthMonitor({ intervalMs: HOUR, sampler, ...options });
  monitors.push(monitor);
  const changes: string[] = [];
  monitor.on('status:changed', (e) => changes.push(`${e.previous}->${e.status}`));
  return { monitor, sampler, changes };
}

export async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}
