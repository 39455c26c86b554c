/** The codes already warned about in this process. */
const warned = new Set<string>();

/**
 * Warns, once per process and code, that a bound was turned off (`Infinity`): work can then pile
 * up without limit when consumers fall behind, which is a choice worth seeing in the logs.
 *
 * @param code - the `LOADSTONE_WARN_*_UNBOUNDED_*` code (docs/errors.md lists them).
 * @param message - what is unbounded, and what it risks.
 */
export function warnUnbounded(code: string, message: string): void {
  if (warned.has(code)) return;
  warned.add(code);
  process.emitWarning(message, { code });
}
