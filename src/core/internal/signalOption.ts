// The one check of the options objects whose only option is `signal`: `close(options)` of every
// Closeable, and the queue's waits. Internal.
import { InvalidOptionError } from '../errors/InvalidOptionError.js';
import { checkOptionKeys, optionNames, optionsObject } from './validate.js';

/** Options whose only option is `signal`. */
type SignalOnly = { readonly signal?: AbortSignal };

const SIGNAL_ONLY = optionNames<SignalOnly>()(['signal']);
/** What users reach for when they want a bounded wait: the signal does that. */
const RENAMED = { timeoutMs: 'signal', timeout: 'signal' };

/**
 * The `signal` of a `close(options)` or `onIdle(options)` call, after refusing anything else: a
 * typo such as `close({ timeoutMs: 5_000 })` would otherwise wait however long it takes.
 *
 * @param options - what the caller passed.
 * @param owner - the method, for the message (`'TieredCache.close'`).
 * @throws InvalidOptionError (`ERR_LOADSTONE_INVALID_OPTION`) for a non-object, an unknown or
 *   `null` option, or a `signal` that is not an `AbortSignal`.
 */
export function signalOption(options: SignalOnly | undefined, owner: string): AbortSignal | undefined {
  if (options === undefined) return undefined;
  const opts = optionsObject('options', options);
  checkOptionKeys(opts, SIGNAL_ONLY, owner, RENAMED);
  const signal: unknown = opts.signal;
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new InvalidOptionError('options.signal', 'an AbortSignal', signal);
  }
  return signal;
}
