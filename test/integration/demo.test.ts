// `npm run demo` is one of the README's two commands: run it as a user would (in a child process)
// and check that what it shows is true.
import { execFile } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

describe('the demo', () => {
  it('runs to the end: only the joining node gains keys, only the leaving one loses them, peak-EWMA avoids the slow backend, a reload drops nothing', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'examples/demo/demo.ts'],
      { cwd: root, encoding: 'utf8', timeout: 50_000 },
    );
    expect(stdout).toContain('done.');
    const join = stdout.slice(stdout.indexOf('2. db-6 joins'), stdout.indexOf('3. db-3 leaves'));
    const leave = stdout.slice(stdout.indexOf('3. db-3 leaves'), stdout.indexOf('4. The algorithms'));
    const edges = (section: string) => [...section.matchAll(/(db-\d) -> (db-\d)/g)].map((m) => [m[1], m[2]]);
    expect(edges(join).length).toBeGreaterThan(0);
    for (const [, to] of edges(join)) expect(to).toBe('db-6');
    expect(edges(leave).length).toBeGreaterThan(0);
    for (const [from] of edges(leave)) expect(from).toBe('db-3');
    for (const algorithm of ['ring', 'ketama', 'jump', 'rendezvous', 'maglev'])
      expect(stdout).toMatch(new RegExp(`\\n  ${algorithm} `));
    expect(stdout).toContain('order-1 (DE) -> region:eu -> eu-1');
    // The balancer section: round-robin sends api-3 its fifth; peak-EWMA steers away from it.
    const share = (label: string) => Number(new RegExp(`${label}\\s+([\\d.]+) %`).exec(stdout)?.[1]);
    expect(share('round-robin')).toBe(20);
    expect(share('peak-EWMA P2C')).toBeLessThan(10);
    // The primitives' sections: the reload drops nothing and replaces every worker, the queue sheds
    // only below `high`, the cache's loader runs once for 1,000 concurrent misses.
    expect(stdout).toContain('errors during reload 0\n');
    expect(stdout).toContain('(old pids still answering: 0)');
    expect(stdout).toMatch(/SIGTERM: primary and workers exited \(code 0\)/);
    expect(stdout).toMatch(/critical\s+2\s+14\/14\s+17\/17\s+0\/13 \(13 shed\)\s+0\/16 \(16 shed\)/);
    expect(stdout).toContain('loader calls: 1, requests answered: 1000');
    expect(stdout).toMatch(/WorkerThreadPool \(2 threads\)/);
  });
});
