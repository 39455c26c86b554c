// Several real processes share one Redis-backed limit: the total they are allowed never exceeds
// it (GCRA: burst + rate·t; sliding window: the limit, plus what slides in during the run).
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { nextMessage } from '../helpers/processes.js';
import { describeWithRedis } from '../helpers/redis.js';

const WORKER = fileURLToPath(new URL('../fixtures/ratelimit-worker.ts', import.meta.url));
const PROCESSES = 4;
const ATTEMPTS = 60; // per process: 240 attempts against a limit of 20
const LIMIT = 20;
const PERIOD_MS = 60_000;

type Done = { type: 'done'; allowed: number; degraded: number };

describeWithRedis('RateLimiter shared across processes through Redis', (getRedis) => {
  for (const algorithm of ['gcra', 'sliding-window'] as const) {
    it(`${algorithm}: ${PROCESSES} processes never exceed one limit together`, async () => {
      const children = Array.from({ length: PROCESSES }, () =>
        fork(WORKER, { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
      );
      try {
        const ready = children.map((child) => nextMessage(child, 'ready'));
        children.forEach((child, i) => {
          child.send({
            url: getRedis().url,
            algorithm,
            attempts: ATTEMPTS,
            // Clocks skewed by up to ±90 minutes: decisions use Redis's TIME, not these.
            skewMs: (i - 1.5) * 3_600_000,
            keyPrefix: `mp:${algorithm}:`,
          });
        });
        await Promise.all(ready);
        const done = children.map((child) => nextMessage<Done>(child, 'done'));
        const started = performance.now();
        for (const child of children) child.send('go');
        const results = await Promise.all(done);
        const elapsedMs = performance.now() - started;

        const total = results.reduce((sum, r) => sum + r.allowed, 0);
        expect(results.every((r) => r.degraded === 0)).toBe(true);
        // Everything that can pass in the run's span, and not one more.
        const refill = Math.floor((LIMIT * elapsedMs) / PERIOD_MS);
        expect(total).toBeLessThanOrEqual(LIMIT + refill + (algorithm === 'sliding-window' ? 1 : 0));
        // And the limit was really used up, not merely never reached.
        expect(total).toBeGreaterThanOrEqual(LIMIT);
      } finally {
        for (const child of children) if (child.exitCode === null) child.kill();
        await Promise.all(children.map((c) => (c.exitCode === null ? once(c, 'exit') : undefined)));
      }
    });
  }
});
