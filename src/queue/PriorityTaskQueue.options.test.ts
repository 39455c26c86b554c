// PriorityTaskQueue's options and `add`'s, each bad one named by its path and what it should be,
// and the good ones the checks must let through.
import { describe, expect, it } from 'vitest';
import { expectInvalidOption } from '../../test/helpers/expectInvalidOption.js';
import { InvalidOptionError } from '../core/errors/index.js';
import { ManualLoadSignal } from '../core/ManualLoadSignal.js';
import { PriorityTaskQueue } from './PriorityTaskQueue.js';
import type { AddOptions, PriorityTaskQueueOptions } from './PriorityTaskQueueOptions.js';

/** The InvalidOptionError `promise` rejects with, for its option and expected phrase. */
async function rejection(promise: Promise<unknown>): Promise<{ option: string; expected: string }> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(InvalidOptionError);
  const { option, expected } = error as InvalidOptionError;
  return { option, expected };
}

const task = async () => 1;

/** The retry options both the queue and `add` take, each bad one with its path and phrase. */
const BAD_RETRIES: [string, PriorityTaskQueueOptions['retry'], string, string][] = [
  [
    'a retry that takes a signal',
    { signal: AbortSignal.abort() } as never,
    'signal',
    'absent: pass the signal to `add`',
  ],
  ['an unknown retry option', { tries: 2 } as never, 'tries', 'absent: it is not an option of a task retry'],
  ['a negative retry delay', { baseDelayMs: -1 }, 'baseDelayMs', 'a finite number >= 0 and <= 2147483647'],
  ['a negative retry cap', { maxDelayMs: -1 }, 'maxDelayMs', 'a finite number >= 0 and <= 2147483647'],
  ['a retryIf that is no function', { retryIf: true } as never, 'retryIf', 'a function'],
  ['an onRetry that is no function', { onRetry: 'log' } as never, 'onRetry', 'a function'],
];
const retryRows = <T>(wrap: (retry: PriorityTaskQueueOptions['retry']) => T): [string, T, string, string][] =>
  BAD_RETRIES.map(([name, retry, key, expected]) => [name, wrap(retry), `options.retry.${key}`, expected]);

describe('PriorityTaskQueue options', () => {
  it.each<[string, PriorityTaskQueueOptions, string, string]>([
    [
      'an unknown option',
      { concurrncy: 2 } as never,
      'options.concurrncy',
      'absent: it is not an option of PriorityTaskQueue',
    ],
    ['an empty level name', { priorities: ['a', ''] }, 'options.priorities[1]', 'a non-empty string'],
    ['a load signal that is a string', { loadSignal: 'busy' as never }, 'options.loadSignal', 'a LoadSignal'],
    ['a null load signal', { loadSignal: null as never }, 'options.loadSignal', 'a value, or absent'],
    ['shed as a string', { shed: 'reject' as never }, 'options.shed', 'an object'],
    [
      'an unknown shed option',
      { shed: { level: 'low' } as never },
      'options.shed.level',
      'absent: it is not an option of shed',
    ],
    [
      'a degraded concurrency of 0',
      { shed: { degradedConcurrency: 0 } },
      'options.shed.degradedConcurrency',
      'an integer >= 1',
    ],
    ['rate as a number', { rate: 5 as never }, 'options.rate', 'an object'],
    [
      'an unknown rate option',
      { rate: { limit: 1, intervalMs: 1, burst: 2 } as never },
      'options.rate.burst',
      'absent: it is not an option of rate',
    ],
    ['aging as a number', { aging: 5 as never }, 'options.aging', 'an object'],
    [
      'an unknown aging option',
      { aging: { intervalMs: 1, step: 1 } as never },
      'options.aging.step',
      'absent: it is not an option of aging',
    ],
    ...retryRows((retry): PriorityTaskQueueOptions => ({ retry })),
  ])('rejects %s', (_name, options, option, expected) => {
    expectInvalidOption(() => new PriorityTaskQueue(options), option, expected);
  });

  it('accepts every retry option alone, numeric priorities and a callable load signal', async () => {
    for (const retry of [
      { attempts: 2 },
      { baseDelayMs: 1 },
      { maxDelayMs: 5 },
      { retryIf: () => true },
      { onRetry: () => {} },
      { jitter: 'none' as const },
    ]) {
      expect(() => new PriorityTaskQueue({ retry })).not.toThrow();
    }
    const queue = new PriorityTaskQueue({ defaultPriority: 7, shed: { minPriority: 2 } });
    const order: number[] = [];
    queue.pause();
    const tasks = [
      queue.add(async () => void order.push(5), { priority: 5 }),
      queue.add(async () => void order.push(7)),
    ];
    queue.resume();
    await Promise.all(tasks);
    expect(order).toEqual([7, 5]);
    const signal = new ManualLoadSignal();
    const callable = Object.assign(() => {}, { subscribe: signal.subscribe.bind(signal), status: 'healthy' });
    expect(() => new PriorityTaskQueue({ loadSignal: callable as never })).not.toThrow();
  });

  it("names a bad priority with the queue's own levels", async () => {
    const queue = new PriorityTaskQueue({ priorities: ['now', 'later'] });
    expect(await rejection(queue.add(task, { priority: 'soon' }))).toEqual({
      option: 'options.priority',
      expected: 'one of "now", "later" or a finite number',
    });
    expect(await rejection(queue.add(task, { priority: Number.POSITIVE_INFINITY }))).toEqual({
      option: 'options.priority',
      expected: 'a level name or a finite number',
    });
  });

  it.each<[string, AddOptions, string, string]>([
    [
      'an unknown option',
      { priorty: 'high' } as never,
      'options.priorty',
      'absent: it is not an option of PriorityTaskQueue.add',
    ],
    [
      'an unknown option after known ones',
      { id: 'a', retry: false, wait: 1 } as never,
      'options.wait',
      'absent: it is not an option of PriorityTaskQueue.add',
    ],
    [
      'a signal that is no AbortSignal',
      { signal: { aborted: false } as never },
      'options.signal',
      'an AbortSignal',
    ],
    ['an empty id', { id: '' }, 'options.id', 'a non-empty string'],
    ['a null id', { id: null } as never, 'options.id', 'a non-empty string'],
    ...retryRows((retry): AddOptions => ({ retry })),
  ])('add rejects %s', async (_name, options, option, expected) => {
    const queue = new PriorityTaskQueue();
    expect(await rejection(queue.add(task, options))).toEqual({ option, expected });
    expect(queue.stats().added).toBe(0);
  });

  it('add rejects options that are not an object, and addAll a list that is not an array', async () => {
    const queue = new PriorityTaskQueue();
    expect(await rejection(queue.add(task, 'high' as never))).toEqual({
      option: 'options',
      expected: 'an object',
    });
    expect(await rejection(queue.addAll(task as never))).toEqual({ option: 'fns', expected: 'an array' });
  });

  it('add takes every option it documents, and retry: false', async () => {
    const queue = new PriorityTaskQueue({ retry: { attempts: 2, baseDelayMs: 0 } });
    const options: AddOptions = {
      priority: 'high',
      signal: new AbortController().signal,
      retry: { attempts: 1 },
      timeoutMs: 1_000,
      id: 'all',
    };
    await expect(queue.add(task, options)).resolves.toBe(1);
    await expect(queue.add(task, { retry: false })).resolves.toBe(1);
    await expect(queue.add(task, {})).resolves.toBe(1);
  });

  it.each([
    ['onEmpty', (q: PriorityTaskQueue) => q.onEmpty({ wait: 1 } as never)],
    ['onIdle', (q: PriorityTaskQueue) => q.onIdle({ wait: 1 } as never)],
    ['onSizeLessThan', (q: PriorityTaskQueue) => q.onSizeLessThan(1, { wait: 1 } as never)],
    ['close', (q: PriorityTaskQueue) => q.close({ wait: 1 } as never)],
  ])('%s names itself when given an unknown option', async (method, call) => {
    expect(await rejection(call(new PriorityTaskQueue()))).toEqual({
      option: 'options.wait',
      expected: `absent: it is not an option of PriorityTaskQueue.${method}`,
    });
  });

  it('onSizeLessThan names its limit', async () => {
    expect(await rejection(new PriorityTaskQueue().onSizeLessThan(0.5))).toEqual({
      option: 'limit',
      expected: 'an integer >= 1',
    });
  });
});
