// Access to V8's garbage collector, which every measurement calls between runs.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

type GcFunction = () => void;

let cached: GcFunction | undefined;

/**
 * Returns `global.gc`. `npm run bench` passes `--expose-gc`; when it is missing (e.g. plain `tsx
 * bench/run.ts`) the flag is switched on at run time, which V8 allows for `gc`, and the function is
 * fetched from a fresh context.
 */
export function gcFunction(): GcFunction {
  if (cached !== undefined) return cached;
  const fromGlobal = (globalThis as { gc?: GcFunction }).gc;
  if (typeof fromGlobal === 'function') {
    cached = fromGlobal;
  } else {
    setFlagsFromString('--expose-gc');
    cached = runInNewContext('gc') as GcFunction;
  }
  return cached;
}

/** Whether the process was started with `--expose-gc` (reported in the machine info). */
export function gcExposed(): boolean {
  return typeof (globalThis as { gc?: unknown }).gc === 'function';
}

/**
 * Runs full garbage collections: twice by default, because the first can leave objects reachable
 * only from finalizers or weak references for the second.
 */
export function collectGarbage(times = 2): void {
  const gc = gcFunction();
  for (let i = 0; i < times; i++) gc();
}

/**
 * Collects garbage until the heap stops shrinking (at most `maxRounds` full GCs). A single GC can
 * leave work for the next: V8 ages bytecode and flushes functions that have not run for a few GCs,
 * and frees ArrayBuffer backing stores after sweeping, so `heapUsed` can keep falling by hundreds
 * of KiB over several collections — noise a memory measurement would otherwise report.
 *
 * @param toleranceBytes - a GC that frees less than this counts as settled.
 */
export function settleHeap(toleranceBytes = 16 * 1024, maxRounds = 8): void {
  collectGarbage();
  let previous = heapAndExternal();
  for (let round = 0; round < maxRounds; round++) {
    collectGarbage(1);
    const now = heapAndExternal();
    if (previous - now < toleranceBytes) return;
    previous = now;
  }
}

function heapAndExternal(): number {
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.external;
}
