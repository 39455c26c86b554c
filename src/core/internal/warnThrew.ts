/**
 * Reports a fault nobody is waiting on (a listener, handler or sampler that threw) as a process
 * warning with its stack, so that it is seen without stopping the primitive that called it.
 *
 * @param code - the `LOADSTONE_WARN_*` code (docs/errors.md lists them).
 * @param what - what threw, e.g. `A LoadSignal listener threw`; the error follows after a colon.
 */
export function warnThrew(code: string, what: string, error: unknown): void {
  process.emitWarning(`${what}: ${String(error)}`, {
    code,
    detail: error instanceof Error ? error.stack : undefined,
  });
}
