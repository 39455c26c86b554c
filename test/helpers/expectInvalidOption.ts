import { expect } from 'vitest';
import { InvalidOptionError, isLoadstoneError } from '../../src/core/errors/index.js';

/**
 * Asserts that `act` throws the option-validation error every primitive uses: the class, its
 * code, the option path, what is allowed (by prefix) and the message built from them.
 */
export function expectInvalidOption(act: () => unknown, option: string, expectedPrefix: string): void {
  let caught: unknown;
  try {
    act();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(InvalidOptionError);
  expect(isLoadstoneError(caught, 'ERR_LOADSTONE_INVALID_OPTION')).toBe(true);
  const error = caught as InvalidOptionError;
  expect(error.option).toBe(option);
  expect(error.expected.startsWith(expectedPrefix)).toBe(true);
  expect(error.message).toContain(`Expected \`${option}\` to be ${error.expected}, got `);
}
