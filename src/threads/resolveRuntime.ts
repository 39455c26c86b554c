// Where the thread runtime (worker.ts, built as loadstone/threads/worker) is. Internal.
import { createRequire } from 'node:module';

/**
 * Finds the thread runtime (`loadstone/threads/worker`) through the package's own exports, as
 * the style guide asks: with tsup's code splitting this file ends up in a shared chunk, so a path
 * relative to it would be wrong. `import.meta` cannot be used: the CommonJS build is converted
 * from the ESM one and would not parse. So the resolver starts from this file's own location,
 * `__filename` in CommonJS or the stack's file name in ESM. It resolves with the `require`
 * condition (the CommonJS runtime), which loads ESM and CommonJS worker modules alike.
 */
export function resolveRuntime(): string {
  const here = typeof __filename === 'string' ? __filename : ownFileFromStack();
  return createRequire(here).resolve('loadstone/threads/worker');
}

function ownFileFromStack(): string {
  const prepare = Error.prepareStackTrace;
  const limit = Error.stackTraceLimit;
  try {
    Error.prepareStackTrace = (_error, callSites) => callSites;
    Error.stackTraceLimit = 1;
    const callSites = new Error().stack as unknown as NodeJS.CallSite[];
    const file = callSites[0]?.getFileName();
    if (file === undefined || file === null) throw new Error('cannot locate loadstone/threads');
    return file;
  } finally {
    Error.prepareStackTrace = prepare;
    Error.stackTraceLimit = limit;
  }
}
