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
});
