// The one check of a `clock` option. Internal.
import type { Clock } from '../Clock.js';
import { InvalidOptionError } from '../errors/InvalidOptionError.js';

/**
 * `value` as a {@link Clock}, or `fallback` when it is absent.
 *
 * @throws InvalidOptionError (`ERR_LOADSTONE_INVALID_OPTION`) unless `value` is an object with
 *   a `now` method: a clock that fails only when first read would surface as an
 *   uncoded `TypeError` in a timer, far from the call that passed it.
 */
export function clockOption(value: unknown, fallback: Clock, path = 'options.clock'): Clock {
  if (value === undefined) return fallback;
  if (typeof value !== 'object' || value === null || typeof (value as Partial<Clock>).now !== 'function') {
    throw new InvalidOptionError(path, 'a Clock (an object with a now() method)', value);
  }
  return value as Clock;
}
