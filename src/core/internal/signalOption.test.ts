import { describe, expect, it } from 'vitest';
import { expectInvalidOption } from '../../../test/helpers/expectInvalidOption.js';
import { signalOption } from './signalOption.js';

describe('signalOption', () => {
  it('gives the signal, or undefined for no options or no signal', () => {
    const signal = AbortSignal.abort();
    expect(signalOption({ signal }, 'X.close')).toBe(signal);
    expect(signalOption(undefined, 'X.close')).toBeUndefined();
    expect(signalOption({}, 'X.close')).toBeUndefined();
    expect(signalOption({ signal: undefined }, 'X.close')).toBeUndefined();
  });

  it('refuses a non-object, another name (timeoutMs and timeout pointing at signal), null, a non-signal', () => {
    expectInvalidOption(() => signalOption(5 as never, 'X.close'), 'options', 'an object');
    expectInvalidOption(
      () => signalOption({ signl: 1 } as never, 'X.close'),
      'options.signl',
      'absent: it is not an option of X.close',
    );
    expectInvalidOption(
      () => signalOption({ timeoutMs: 1 } as never, 'X.close'),
      'options.timeoutMs',
      'absent: use `options.signal`',
    );
    expectInvalidOption(
      () => signalOption({ timeout: 1 } as never, 'X.close'),
      'options.timeout',
      'absent: use `options.signal`',
    );
    expectInvalidOption(
      () => signalOption({ signal: null } as never, 'X.close'),
      'options.signal',
      'a value, or absent',
    );
    expectInvalidOption(
      () => signalOption({ signal: {} } as never, 'X.close'),
      'options.signal',
      'an AbortSignal',
    );
  });
});
