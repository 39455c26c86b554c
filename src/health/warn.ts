/**
 * Reports a fault nobody is waiting on (a throwing listener or sampler) as a process warning with
 * its stack, so that it is seen without stopping the monitor.
 */
export function warn(code: string, message: string, error: unknown): void {
  process.emitWarning(`${message}: ${String(error)}`, {
    code,
    detail: error instanceof Error ? error.stack : undefined,
  });
}
