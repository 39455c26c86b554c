// Option validation of the LoadBalancer that the table in LoadBalancer.test.ts leaves out: each
// bad option names its path and what it must be, and each accepted value is the one used.
import { describe, expect, it } from 'vitest';
import { expectInvalidOption } from '../../test/helpers/expectInvalidOption.js';
import type { HealthCheck } from '../core/index.js';
import { LoadBalancer } from './LoadBalancer.js';

const ok = [{ id: 'a', target: 'a' }];
const pickFn = Object.assign(() => undefined, { pick: () => undefined });
const nowFn = Object.assign(() => 0, { now: () => 0 });
const check = (): HealthCheck => ({ name: 'a', check: async () => ({ status: 'healthy' }) });

describe('LoadBalancer options, continued', () => {
  const cases: [string, () => unknown, string, string][] = [
    ['null options', () => new LoadBalancer(null as never), 'options', 'an object'],
    [
      'a null backend',
      () => new LoadBalancer({ backends: [null as never] }),
      'options.backends[0]',
      'an object',
    ],
    [
      'an array backend',
      () => new LoadBalancer({ backends: [[] as never] }),
      'options.backends[0]',
      'an object',
    ],
    [
      'a second backend without id',
      () => new LoadBalancer({ backends: [...ok, { target: 'b' } as never] }),
      'options.backends[1].id',
      'a non-empty string',
    ],
    ['an added array', () => new LoadBalancer({ backends: ok }).add([] as never), 'backend', 'an object'],
    [
      'an added backend with a bad weight',
      () => new LoadBalancer({ backends: ok }).add({ id: 'b', target: 'b', weight: -1 }),
      'backend.weight',
      'a finite number > 0',
    ],
    [
      'a null strategy',
      () => new LoadBalancer({ backends: ok, strategy: null as never }),
      'options.strategy',
      'a value, or absent',
    ],
    [
      'a function strategy',
      () => new LoadBalancer({ backends: ok, strategy: pickFn as never }),
      'options.strategy',
      'a Picker',
    ],
    [
      'a null clock',
      () => new LoadBalancer({ backends: ok, clock: null as never }),
      'options.clock',
      'a value, or absent',
    ],
    [
      'a function clock',
      () => new LoadBalancer({ backends: ok, clock: nowFn as never }),
      'options.clock',
      'a Clock',
    ],
    [
      'a negative closeTimeoutMs',
      () => new LoadBalancer({ backends: ok, closeTimeoutMs: -1 }),
      'options.closeTimeoutMs',
      'an integer from 0 to 2147483647',
    ],
    [
      'a closeTimeoutMs past the timer limit',
      () => new LoadBalancer({ backends: ok, closeTimeoutMs: 2 ** 31 }),
      'options.closeTimeoutMs',
      'an integer from 0 to 2147483647',
    ],
    [
      'baseEjectionMs of zero',
      () => new LoadBalancer({ backends: ok, outlierDetection: { baseEjectionMs: 0 } }),
      'options.outlierDetection.baseEjectionMs',
      'a finite number >= 1',
    ],
    [
      'maxEjectionMs below the default baseEjectionMs',
      () => new LoadBalancer({ backends: ok, outlierDetection: { maxEjectionMs: 29_999 } }),
      'options.outlierDetection.maxEjectionMs',
      'a finite number >= 30000',
    ],
    [
      'a negative maxEjectionPercent',
      () => new LoadBalancer({ backends: ok, outlierDetection: { maxEjectionPercent: -1 } }),
      'options.outlierDetection.maxEjectionPercent',
      'a finite number >= 0 and <= 100',
    ],
    [
      'outlierDetection true',
      () => new LoadBalancer({ backends: ok, outlierDetection: true as never }),
      'options.outlierDetection',
      'an object',
    ],
    [
      'healthCheck not an object',
      () => new LoadBalancer({ backends: ok, healthCheck: 1 as never }),
      'options.healthCheck',
      'an object',
    ],
    [
      'a check factory returning null',
      () => new LoadBalancer({ backends: ok, healthCheck: { check: () => null as never } }),
      'options.healthCheck.check',
      'a function returning a HealthCheck',
    ],
    [
      'a check factory returning an object without check',
      () => new LoadBalancer({ backends: ok, healthCheck: { check: () => ({ name: 'x' }) as never } }),
      'options.healthCheck.check',
      'a function returning a HealthCheck',
    ],
    [
      'timeoutMs of zero',
      () => new LoadBalancer({ backends: ok, healthCheck: { check, timeoutMs: 0 } }),
      'options.healthCheck.timeoutMs',
      'a finite number >= 1',
    ],
    [
      'unhealthyThreshold of zero',
      () => new LoadBalancer({ backends: ok, healthCheck: { check, unhealthyThreshold: 0 } }),
      'options.healthCheck.unhealthyThreshold',
      'an integer >= 1',
    ],
    [
      'an unknown release result',
      () => new LoadBalancer({ backends: ok }).acquire().release('done' as never),
      'result',
      'one of "success", "failure", "cancelled"',
    ],
  ];
  it.each(cases)('%s', (_name, act, option, expected) => expectInvalidOption(act, option, expected));

  it('a run callback that is not a function, or options that are not an object, reject', async () => {
    const lb = new LoadBalancer({ backends: ok });
    for (const [act, option, expected] of [
      [() => lb.run(1 as never), 'fn', 'a function'],
      [() => lb.run(() => 1, 1 as never), 'options', 'an object'],
      [() => lb.run(() => 1, { signal: {} as never }), 'options.signal', 'an AbortSignal'],
    ] as const) {
      const error = await act().catch((e: unknown) => e);
      expectInvalidOption(
        () => {
          throw error;
        },
        option,
        expected,
      );
    }
  });

  it('accepts every release result, a zero closeTimeoutMs and a zero maxEjectionPercent', () => {
    const lb = new LoadBalancer({
      backends: ok,
      closeTimeoutMs: 0,
      outlierDetection: { maxEjectionPercent: 0 },
    });
    for (const result of ['success', 'failure', 'cancelled', undefined] as const)
      lb.acquire().release(result);
    expect(lb.stats()).toMatchObject({ requests: 4, failures: 1 });
  });
});
