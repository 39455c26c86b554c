// The warning for a bound turned off: once per process and code, with the code attached.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { warnUnbounded } from './warnUnbounded.js';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('warnUnbounded', () => {
  it('warns once per code, with the code', () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    warnUnbounded('LOADSTONE_WARN_TEST_A', 'A is unbounded');
    warnUnbounded('LOADSTONE_WARN_TEST_A', 'A is unbounded');
    warnUnbounded('LOADSTONE_WARN_TEST_B', 'B is unbounded');
    expect(warn.mock.calls).toEqual([
      ['A is unbounded', { code: 'LOADSTONE_WARN_TEST_A' }],
      ['B is unbounded', { code: 'LOADSTONE_WARN_TEST_B' }],
    ]);
  });
});
