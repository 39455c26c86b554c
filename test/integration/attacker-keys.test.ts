// Structures keyed by request data keep a bounded amount, whatever keys arrive: each is fed a
// million distinct keys in a child process (with --expose-gc, so the heap is measured after full
// collections), and what it retained must be within its documented bound (docs/errors.md).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

async function retainedMb(structure: string, n: number): Promise<number> {
  const { stdout } = await run(
    process.execPath,
    ['--expose-gc', '--import', 'tsx', 'test/fixtures/attacker-keys.ts', structure, String(n)],
    { timeout: 120_000 },
  );
  return (JSON.parse(stdout) as { retainedMb: number }).retainedMb;
}

describe('attacker-chosen keys', () => {
  it('LoadBalancer keeps nothing per ctx.group that no backend has (a million groups)', async () => {
    expect(await retainedMb('balancer-groups', 1_000_000)).toBeLessThan(2);
  }, 150_000);

  it('MemoryTier counts keys in maxBytes: a million 200-character keys under 1 MB', async () => {
    expect(await retainedMb('memory-tier-keys', 1_000_000)).toBeLessThan(1.5);
  }, 150_000);

  it('MemoryRateLimitStore stays under its default 64 MiB maxBytes: a million 1,000-character keys', async () => {
    // The key cap alone (100,000) let such keys take 115 MB; about 35 MB is kept now.
    expect(await retainedMb('rate-limit-keys', 1_000_000)).toBeLessThan(64);
  }, 150_000);

  it('Presence stays under its default 64 MiB maxBytes: a million 200-character ids', async () => {
    // Only maxEntries (1,000,000) bounded them before: 290 MB kept; about 29 MB now.
    expect(await retainedMb('presence-ids', 1_000_000)).toBeLessThan(64);
  }, 150_000);

  it('WorkerThreadPool numbers 10,000 task names at most: a million unknown 200-character names', async () => {
    // Every name was kept for good before the bound (20,000 names: 4.7 MB); about 4 MB now.
    expect(await retainedMb('thread-task-names', 1_000_000)).toBeLessThan(10);
  }, 150_000);
});
