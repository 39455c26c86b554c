import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { ErrorCode } from './index.js';
import {
  AbortedError,
  CapacityExceededError,
  CircuitOpenError,
  ClosedError,
  errors,
  InvalidOptionError,
  isLoadstoneError,
  JobStoreError,
  LeaseLostError,
  LoaderError,
  LoadstoneError,
  NoTargetError,
  RetriesExhaustedError,
  ShedError,
  TierError,
  TimeoutError,
  WorkerExitError,
} from './index.js';

describe('LoadstoneError', () => {
  it('is matched by code with isLoadstoneError', () => {
    const releaseSlot = (): never => {
      throw new CapacityExceededError('PriorityTaskQueue queue', 100);
    };
    let response = '';
    // #region catching
    try {
      releaseSlot();
    } catch (error) {
      if (isLoadstoneError(error, 'ERR_LOADSTONE_CAPACITY')) {
        response = `503, retry later (limit ${error.limit})`; // `error` is a CapacityExceededError
      } else if (isLoadstoneError(error)) {
        response = `500 ${error.code}`; // any other loadstone error
      } else {
        throw error; // not ours
      }
    }
    // #endregion catching
    expect(response).toBe('503, retry later (limit 100)');
  });

  it('brands every instance so that instanceof works across copies of the package', () => {
    // Another copy of loadstone (a CJS and an ESM build, or two versions) has its own classes,
    // but brands its errors with the same registered symbols.
    class ForeignClosedError extends Error {
      readonly code = 'ERR_LOADSTONE_CLOSED';
      constructor() {
        super('InProcessBus is closed');
        Object.defineProperty(this, Symbol.for('loadstone.error.base'), { value: true });
        Object.defineProperty(this, Symbol.for('loadstone.error.ERR_LOADSTONE_CLOSED'), { value: true });
      }
    }
    const foreign: unknown = new ForeignClosedError();
    expect(foreign instanceof LoadstoneError).toBe(true);
    expect(foreign instanceof ClosedError).toBe(true);
    expect(foreign instanceof TimeoutError).toBe(false);
    expect(isLoadstoneError(foreign)).toBe(true);
    expect(isLoadstoneError(foreign, 'ERR_LOADSTONE_CLOSED')).toBe(true);
    expect(isLoadstoneError(foreign, 'ERR_LOADSTONE_TIMEOUT')).toBe(false);

    const unbranded = Object.assign(new Error('look-alike'), { code: 'ERR_LOADSTONE_CLOSED' });
    expect(unbranded instanceof ClosedError).toBe(false);
    expect(isLoadstoneError(unbranded)).toBe(false);
    for (const value of [null, undefined, 'ERR_LOADSTONE_CLOSED', 42, {}]) {
      expect(isLoadstoneError(value)).toBe(false);
      expect(value instanceof LoadstoneError).toBe(false);
    }
  });

  it('keeps subclass instances distinct', () => {
    const closed = new ClosedError('pool');
    expect(closed instanceof LoadstoneError).toBe(true);
    expect(closed instanceof Error).toBe(true);
    expect(closed instanceof ClosedError).toBe(true);
    expect(closed instanceof TimeoutError).toBe(false);
    expect(isLoadstoneError(closed, 'ERR_LOADSTONE_TIMEOUT')).toBe(false);
  });
});

describe('error classes', () => {
  it('InvalidOptionError names the option, what is allowed and what was received', () => {
    // #region invalidOption
    const error = new InvalidOptionError('options.x', 'an integer >= 1', 0);
    error.message; // 'Expected `options.x` to be an integer >= 1, got `0` (number)'
    error.option; // 'options.x'
    // #endregion invalidOption
    expect(error.message).toBe('Expected `options.x` to be an integer >= 1, got `0` (number)');
    expect(error).toMatchObject({
      name: 'InvalidOptionError',
      code: 'ERR_LOADSTONE_INVALID_OPTION',
      option: 'options.x',
      expected: 'an integer >= 1',
      received: 0,
    });
    expect(new InvalidOptionError('options.name', 'a non-empty string', '').message).toBe(
      'Expected `options.name` to be a non-empty string, got `""` (string)',
    );
    expect(new InvalidOptionError('options.fn', 'a function', undefined).message).toBe(
      'Expected `options.fn` to be a function, got undefined',
    );
    expect(new InvalidOptionError('options.nodes', 'an array', { a: 1 }).message).toBe(
      'Expected `options.nodes` to be an array, got `{"a":1}` (object)',
    );
  });

  it.each<[string, unknown, string]>([
    ['null', null, 'null'],
    ['an array', [1, 2], '`[1,2]` (array)'],
    ['NaN', Number.NaN, '`NaN` (number)'],
    ['Infinity', Number.POSITIVE_INFINITY, '`Infinity` (number)'],
    ['a bigint', 10n, '`10n` (bigint)'],
    ['a named function', function handler() {}, '`[function handler]` (function)'],
    ['an anonymous function', (() => () => {})(), '`[function anonymous]` (function)'],
    ['a symbol', Symbol('s'), '`Symbol(s)` (symbol)'],
    [
      'a cycle',
      (() => {
        const o: Record<string, unknown> = {};
        o.self = o;
        return o;
      })(),
      '`[object Object]` (object)',
    ],
    ['80 characters, whole', 'x'.repeat(78), `\`"${'x'.repeat(78)}"\` (string)`],
    ['81 characters, cut to 80', 'x'.repeat(79), `\`"${'x'.repeat(76)}...\` (string)`],
  ])('InvalidOptionError shows %s as it is', (_name, value, shown) => {
    expect(new InvalidOptionError('o', 'e', value).message).toBe(`Expected \`o\` to be e, got ${shown}`);
  });

  it('ClosedError says what is closed and keeps the cause', () => {
    // #region closed
    const reason = new Error('SIGTERM');
    const error = new ClosedError('InProcessBus', { cause: reason });
    error.message; // 'InProcessBus is closed'
    error.cause; // reason, e.g. what destroy() was given
    // #endregion closed
    expect(error).toMatchObject({
      name: 'ClosedError',
      code: 'ERR_LOADSTONE_CLOSED',
      message: 'InProcessBus is closed',
    });
    expect(error.cause).toBe(reason);
  });

  it('TimeoutError carries the limit', () => {
    // #region timeout
    const error = new TimeoutError('acquire from pool "db"', 2_000);
    error.message; // 'acquire from pool "db" timed out after 2000 ms'
    error.timeoutMs; // 2000
    // #endregion timeout
    expect(error).toMatchObject({
      name: 'TimeoutError',
      code: 'ERR_LOADSTONE_TIMEOUT',
      message: 'acquire from pool "db" timed out after 2000 ms',
      timeoutMs: 2_000,
    });
  });

  it('CapacityExceededError carries the limit', () => {
    // #region capacity
    const error = new CapacityExceededError('PriorityTaskQueue queue', 1_000);
    error.message; // 'PriorityTaskQueue queue is full (limit 1000)'
    error.limit; // 1000
    // #endregion capacity
    expect(error).toMatchObject({
      name: 'CapacityExceededError',
      code: 'ERR_LOADSTONE_CAPACITY',
      message: 'PriorityTaskQueue queue is full (limit 1000)',
      limit: 1_000,
    });
  });

  it('AbortedError keeps a non-Error abort reason as its cause', () => {
    // #region aborted
    const controller = new AbortController();
    controller.abort('shutdown'); // a string, not an Error
    const error = new AbortedError('run task', { cause: controller.signal.reason });
    error.message; // 'run task was aborted'
    error.cause; // 'shutdown'
    // #endregion aborted
    expect(error).toMatchObject({
      name: 'AbortedError',
      code: 'ERR_LOADSTONE_ABORTED',
      message: 'run task was aborted',
    });
    expect(error.cause).toBe('shutdown');
  });

  it('NoTargetError gives the reason', () => {
    // #region noTarget
    const error = new NoTargetError('every backend is critical');
    error.message; // 'No target available: every backend is critical'
    // #endregion noTarget
    expect(error).toMatchObject({
      name: 'NoTargetError',
      code: 'ERR_LOADSTONE_NO_TARGET',
      message: 'No target available: every backend is critical',
    });
  });

  it('CircuitOpenError names the breaker and when to retry', () => {
    // #region circuitOpen
    const error = new CircuitOpenError('payments-api', 2_500);
    error.message; // 'Circuit breaker "payments-api" is open: retry in 2500 ms'
    error.retryAfterMs; // 2500: e.g. for a Retry-After header
    // #endregion circuitOpen
    expect(error).toMatchObject({
      name: 'CircuitOpenError',
      code: 'ERR_LOADSTONE_CIRCUIT_OPEN',
      breaker: 'payments-api',
      retryAfterMs: 2_500,
      message: 'Circuit breaker "payments-api" is open: retry in 2500 ms',
    });
  });

  it('WorkerExitError says which worker died and how', () => {
    // #region workerExit
    const error = new WorkerExitError('thread', 7, 1);
    error.message; // 'Worker thread 7 exited with code 1 while running a task'
    error.exitCode; // 1 (null when killed by a signal or crashed)
    // #endregion workerExit
    expect(error).toMatchObject({
      name: 'WorkerExitError',
      code: 'ERR_LOADSTONE_WORKER_EXIT',
      kind: 'thread',
      workerId: 7,
      exitCode: 1,
      message: 'Worker thread 7 exited with code 1 while running a task',
    });
    expect(new WorkerExitError('process', 4242, null).message).toBe(
      'Worker process 4242 crashed while running a task',
    );
  });

  it('ShedError carries the refused priority', () => {
    // #region shed
    const error = new ShedError('PriorityTaskQueue', 'low');
    error.message; // 'PriorityTaskQueue shed a task of priority "low": load is critical'
    error.priority; // 'low'
    // #endregion shed
    expect(error).toMatchObject({
      name: 'ShedError',
      code: 'ERR_LOADSTONE_SHED',
      priority: 'low',
      message: 'PriorityTaskQueue shed a task of priority "low": load is critical',
    });
  });

  it('TierError names the tier and the operation and keeps the cause', () => {
    // #region tier
    const cause = new Error('connect ECONNREFUSED 127.0.0.1:6379');
    const error = new TierError('redis', 'get', { cause });
    error.message; // 'Cache tier "redis" failed to get'
    // #endregion tier
    expect(error).toMatchObject({
      name: 'TierError',
      code: 'ERR_LOADSTONE_TIER',
      tier: 'redis',
      operation: 'get',
    });
    expect(error.message).toBe('Cache tier "redis" failed to get');
    expect(error.cause).toBe(cause);
  });

  it('JobStoreError names the store and the operation and keeps the cause', () => {
    // #region jobStore
    const cause = new Error('connect ECONNREFUSED 127.0.0.1:6379');
    const error = new JobStoreError('redis', 'add', { cause });
    error.message; // 'Job store "redis" failed to add'
    // #endregion jobStore
    expect(error).toMatchObject({
      name: 'JobStoreError',
      code: 'ERR_LOADSTONE_JOB_STORE',
      store: 'redis',
      operation: 'add',
    });
    expect(error.message).toBe('Job store "redis" failed to add');
    expect(error.cause).toBe(cause);
  });

  it('LeaseLostError names the job', () => {
    // #region leaseLost
    const error = new LeaseLostError('invoice-42');
    error.message; // 'The lease on job "invoice-42" was lost; it will run again'
    // #endregion leaseLost
    expect(error).toMatchObject({
      name: 'LeaseLostError',
      code: 'ERR_LOADSTONE_LEASE_LOST',
      jobId: 'invoice-42',
    });
    expect(error.message).toBe('The lease on job "invoice-42" was lost; it will run again');
  });

  it('LoaderError names the key and keeps the loader error', () => {
    // #region loader
    const cause = new Error('user 42 not found in the database');
    const error = new LoaderError('user:42', { cause });
    error.message; // 'Loader for cache key "user:42" failed'
    error.cause === cause; // true
    // #endregion loader
    expect(error).toMatchObject({ name: 'LoaderError', code: 'ERR_LOADSTONE_LOADER', key: 'user:42' });
    expect(error.message).toBe('Loader for cache key "user:42" failed');
    expect(error.cause).toBe(cause);
  });

  it('RetriesExhaustedError counts the attempts and keeps the last error', () => {
    // #region retriesExhausted
    const last = new Error('503 from the mail API');
    const error = new RetriesExhaustedError('task "send-email"', 3, { cause: last });
    error.message; // 'task "send-email" failed after 3 attempts'
    error.attempts; // 3
    // #endregion retriesExhausted
    expect(error).toMatchObject({
      name: 'RetriesExhaustedError',
      code: 'ERR_LOADSTONE_RETRIES_EXHAUSTED',
      attempts: 3,
      message: 'task "send-email" failed after 3 attempts',
    });
    expect(error.cause).toBe(last);
  });

  it('sets cause only when one is given', () => {
    expect('cause' in new ClosedError('x')).toBe(false);
    expect('cause' in new TimeoutError('x', 1)).toBe(false);
    const cause = new Error('socket hang up');
    expect(new TimeoutError('connect', 1, { cause }).cause).toBe(cause);
    expect(new AbortedError('x', { cause: null }).cause).toBe(null);
  });

  it('renders as Name: message with a stack', () => {
    const error = new NoTargetError('empty ring');
    expect(String(error)).toBe('NoTargetError: No target available: empty ring');
    expect(error.stack).toContain('NoTargetError: No target available: empty ring');
  });
});

describe('errors map (parity)', () => {
  const entries = Object.entries(errors) as [ErrorCode, (typeof errors)[ErrorCode]][];

  it('maps each code to its class', () => {
    // #region errorsMap
    const ErrorClass = errors.ERR_LOADSTONE_TIMEOUT; // TimeoutError
    const error: unknown = new TimeoutError('close', 5_000);
    error instanceof errors.ERR_LOADSTONE_TIMEOUT; // true
    // #endregion errorsMap
    expect(ErrorClass).toBe(TimeoutError);
    expect(error instanceof errors.ERR_LOADSTONE_TIMEOUT).toBe(true);
  });

  it('keys every class by its static code, and codes are unique', () => {
    for (const [code, ErrorClass] of entries) expect(ErrorClass.code).toBe(code);
    const codes = entries.map(([, ErrorClass]) => ErrorClass.code);
    expect(new Set(codes).size).toBe(codes.length);
    expect(new Set(entries.map(([, ErrorClass]) => ErrorClass)).size).toBe(entries.length);
    for (const code of codes) expect(code).toMatch(/^ERR_LOADSTONE_[A-Z]+(?:_[A-Z]+)*$/);
  });

  it('has exactly the codes of the ErrorCode union (compile-time)', () => {
    expectTypeOf<keyof typeof errors>().toEqualTypeOf<ErrorCode>();
    expectTypeOf<(typeof errors)[keyof typeof errors]['code']>().toEqualTypeOf<ErrorCode>();
    expectTypeOf<typeof InvalidOptionError.code>().toEqualTypeOf<'ERR_LOADSTONE_INVALID_OPTION'>();
    expectTypeOf<typeof ClosedError.code>().toEqualTypeOf<'ERR_LOADSTONE_CLOSED'>();
    expectTypeOf<typeof TimeoutError.code>().toEqualTypeOf<'ERR_LOADSTONE_TIMEOUT'>();
    expectTypeOf<typeof CapacityExceededError.code>().toEqualTypeOf<'ERR_LOADSTONE_CAPACITY'>();
    expectTypeOf<typeof AbortedError.code>().toEqualTypeOf<'ERR_LOADSTONE_ABORTED'>();
    expectTypeOf<typeof NoTargetError.code>().toEqualTypeOf<'ERR_LOADSTONE_NO_TARGET'>();
    expectTypeOf<typeof CircuitOpenError.code>().toEqualTypeOf<'ERR_LOADSTONE_CIRCUIT_OPEN'>();
    expectTypeOf<typeof WorkerExitError.code>().toEqualTypeOf<'ERR_LOADSTONE_WORKER_EXIT'>();
    expectTypeOf<typeof ShedError.code>().toEqualTypeOf<'ERR_LOADSTONE_SHED'>();
    expectTypeOf<typeof TierError.code>().toEqualTypeOf<'ERR_LOADSTONE_TIER'>();
    expectTypeOf<typeof LoaderError.code>().toEqualTypeOf<'ERR_LOADSTONE_LOADER'>();
    expectTypeOf<typeof RetriesExhaustedError.code>().toEqualTypeOf<'ERR_LOADSTONE_RETRIES_EXHAUSTED'>();
    expectTypeOf<typeof JobStoreError.code>().toEqualTypeOf<'ERR_LOADSTONE_JOB_STORE'>();
    expectTypeOf<typeof LeaseLostError.code>().toEqualTypeOf<'ERR_LOADSTONE_LEASE_LOST'>();
    expectTypeOf<ClosedError['code']>().toEqualTypeOf<'ERR_LOADSTONE_CLOSED'>();
  });

  it('gives instances the code of their class', () => {
    const samples = [
      new InvalidOptionError('o', 'x', 1),
      new ClosedError('x'),
      new TimeoutError('x', 1),
      new CapacityExceededError('x', 1),
      new AbortedError('x'),
      new NoTargetError('x'),
      new CircuitOpenError('x', 1),
      new WorkerExitError('thread', 1, 1),
      new ShedError('x', 'low'),
      new TierError('x', 'get'),
      new LoaderError('x'),
      new RetriesExhaustedError('x', 2),
      new JobStoreError('x', 'add'),
      new LeaseLostError('x'),
    ];
    expect(samples.map((error) => error.code).sort()).toEqual(Object.keys(errors).sort());
    for (const error of samples) {
      const ErrorClass = errors[error.code];
      expect(error).toBeInstanceOf(ErrorClass);
      expect(error.name).toBe(ErrorClass.name);
      expect(isLoadstoneError(error, error.code)).toBe(true);
    }
  });

  it('documents every code, with its class, in docs/errors.md', () => {
    const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
    const rows = new Map(
      [...doc.matchAll(/^\|\s*`(ERR_LOADSTONE_[A-Z_]+)`\s*\|\s*`(\w+)`\s*\|/gm)].map((m) => [m[1], m[2]]),
    );
    for (const [code, ErrorClass] of entries) expect(rows.get(code)).toBe(ErrorClass.name);
    expect([...rows.keys()].sort()).toEqual(Object.keys(errors).sort());
  });

  it('documents every warning code the sources emit in docs/errors.md', () => {
    const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
    const documented = new Set([...doc.matchAll(/^\|\s*`(LOADSTONE_WARN_[A-Z_]+)`/gm)].map((m) => m[1]));
    const src = new URL('../../', import.meta.url);
    const emitted = new Set<string>();
    for (const file of readdirSync(src, { recursive: true, encoding: 'utf8' })) {
      if (!file.endsWith('.ts') || file.endsWith('.test.ts')) continue;
      for (const m of readFileSync(new URL(file, src), 'utf8').matchAll(/'(LOADSTONE_WARN_[A-Z_]+)'/g))
        emitted.add(m[1] as string);
    }
    expect(emitted.size).toBeGreaterThan(0);
    expect([...emitted].sort()).toEqual([...documented].sort());
  });
});
