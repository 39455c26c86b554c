// The options that shape each worker process as it is forked: its environment and Node flags.
import { InvalidOptionError } from '../core/errors/InvalidOptionError.js';
import { optionsObject } from '../core/internal/validate.js';

/** `options.env`: string values only, frozen. @internal */
export function envOption(value: unknown): Readonly<Record<string, string>> {
  const o = optionsObject<Record<string, unknown>>(
    'options.env',
    value as Record<string, unknown> | undefined,
  );
  for (const [k, v] of Object.entries(o)) {
    if (typeof v !== 'string') throw new InvalidOptionError(`options.env.${k}`, 'a string', v);
  }
  return Object.freeze({ ...(o as Record<string, string>) });
}

/** `options.execArgv`: Node options, each starting with `-`, frozen. @internal */
export function execArgvOption(value: unknown): readonly string[] {
  if (value === undefined) return Object.freeze([]);
  if (!Array.isArray(value))
    throw new InvalidOptionError('options.execArgv', 'an array of Node options', value);
  value.forEach((arg, i) => {
    if (typeof arg !== 'string' || !arg.startsWith('-')) {
      throw new InvalidOptionError(`options.execArgv[${i}]`, 'a Node option starting with `-`', arg);
    }
  });
  return Object.freeze([...(value as string[])]);
}
