// The paused-queue case of the queue bench: 100,000 enqueues into a paused queue, each contender
// in a fresh process (one fill per process), so the time is what a plain loop in a user's process
// measures. Run in the bench's own process after the other contenders, p-queue took twice as
// long (3,462 ms against 1,594–1,910 ms fresh), which inflated the ratio to 20.8× (7.4–8.7× fresh).
//
// As a child: `node --import tsx pausedFill.ts <contender> <n> <seed>` fills once and sends
// `{ ms }` over IPC.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import fastq from 'fastq';
import { PriorityTaskQueue } from 'loadstone/queue';
import PQueue from 'p-queue';

/** mulberry32: deterministic priorities, the same for every contender. */
export function priorities(n: number, seed = 42): Uint8Array {
  const out = new Uint8Array(n);
  let a = seed >>> 0;
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (((t ^ (t >>> 14)) >>> 0) % 4) as number;
  }
  return out;
}

export type PausedContender = {
  readonly name: string;
  readonly anchor?: boolean;
  readonly target?: number;
  /** Enqueues n tasks into a paused queue and returns the queue (kept for the memory case). */
  readonly fill: (n: number, prio: Uint8Array) => { readonly queue: unknown; readonly held: unknown[] };
};

const pending = (): Promise<void> => new Promise<void>(() => {});

export function pausedContenders(): PausedContender[] {
  return [
    {
      name: 'p-queue, random priority 0..3',
      anchor: true,
      fill: (n, prio) => {
        const q = new PQueue({ concurrency: 100, autoStart: false });
        const held: unknown[] = new Array(n);
        for (let i = 0; i < n; i++) held[i] = q.add(pending, { priority: prio[i] as number });
        return { queue: q, held };
      },
    },
    {
      name: 'p-queue, no priority',
      fill: (n) => {
        const q = new PQueue({ concurrency: 100, autoStart: false });
        const held: unknown[] = new Array(n);
        for (let i = 0; i < n; i++) held[i] = q.add(pending);
        return { queue: q, held };
      },
    },
    {
      name: 'fastq.promise, no priority',
      fill: (n) => {
        const q = fastq.promise(async (_x: number) => {}, 100);
        q.pause();
        const held: unknown[] = new Array(n);
        for (let i = 0; i < n; i++) held[i] = q.push(i);
        return { queue: q, held };
      },
    },
    {
      name: 'loadstone, random priority 0..3',
      target: 10,
      fill: (n, prio) => {
        const q = new PriorityTaskQueue({ concurrency: 100, paused: true });
        const held: unknown[] = new Array(n);
        for (let i = 0; i < n; i++) held[i] = q.add(pending, { priority: prio[i] as number });
        return { queue: q, held };
      },
    },
    {
      name: 'loadstone, no priority',
      fill: (n) => {
        const q = new PriorityTaskQueue({ concurrency: 100, paused: true });
        const held: unknown[] = new Array(n);
        for (let i = 0; i < n; i++) held[i] = q.add(pending);
        return { queue: q, held };
      },
    },
  ];
}

/** Times one fill of `contender` in a fresh child process. */
export function timeFillInChild(contender: string, n: number, seed: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), [contender, String(n), String(seed)], {
      execArgv: process.execArgv,
    });
    child.once('message', (message: { ms?: number; error?: string }) => {
      if (typeof message.ms === 'number') resolve(message.ms);
      else reject(new Error(message.error ?? 'no time'));
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) reject(new Error(`paused fill of ${contender} exited with ${code}`));
    });
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [name, n, seed] = process.argv.slice(2);
  const contender = pausedContenders().find((c) => c.name === name);
  if (contender === undefined) {
    process.send?.({ error: `no paused contender ${name}` });
    process.exit(1);
  }
  const prio = priorities(Number(n), Number(seed));
  const t0 = performance.now();
  const built = contender.fill(Number(n), prio);
  const ms = performance.now() - t0;
  process.send?.({ ms, held: built.held.length }, () => process.exit(0));
}
