import { describe, expect, it } from 'vitest';
import { expectInvalidOption } from '../../../test/helpers/expectInvalidOption.js';
import { systemClock } from '../Clock.js';
import { clockOption } from './clockOption.js';

describe('clockOption', () => {
  it('gives the clock, or the fallback when absent', () => {
    const clock = { now: () => 7 };
    expect(clockOption(clock, systemClock)).toBe(clock);
    expect(clockOption(undefined, systemClock)).toBe(systemClock);
  });

  it.each([
    ['null', null],
    ['a number', Number.NaN],
    ['a function with now', Object.assign(() => 0, { now: () => 0 })],
    ['an object without now', {}],
    ['an object whose now is not a function', { now: 5 }],
  ])('refuses %s, naming the path', (_, value) => {
    expectInvalidOption(
      () => clockOption(value, systemClock),
      'options.clock',
      'a Clock (an object with a now() method)',
    );
    expectInvalidOption(
      () => clockOption(value, systemClock, 'options.x.clock'),
      'options.x.clock',
      'a Clock',
    );
  });
});
