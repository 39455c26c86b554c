// What the circuit breaker's test files share: calls that succeed and fail, a way to look at a
// promise's outcome without awaiting a rejection, and a breaker on a fake clock with its state
// changes recorded.
import { vi } from 'vitest';
import { CircuitBreaker } from '../../src/resilience/CircuitBreaker.js';
import { FakeClock } from '../../src/testing/FakeClock.js';

export const ok = async (): Promise<string> => 'ok';
export const boom = async (): Promise<never> => {
  throw new Error('boom');
};
/** The outcome of `p` as a value: `{ value }` or `{ error }`. */
export const settle = (p: Promise<unknown>): Promise<{ value?: unknown; error?: unknown }> =>
  p.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );

/**
 * A breaker named `dep` that opens after `consecutiveFailures` failures for 1 s, on a fake clock;
 * `changes` lists its state changes as `from->to:reason`.
 */
export function breakerOnFakeClock(
  consecutiveFailures: number,
  options: Partial<ConstructorParameters<typeof CircuitBreaker>[0]> = {},
) {
  const clock = new FakeClock();
  const b = new CircuitBreaker({
    name: 'dep',
    consecutiveFailures,
    openDurationMs: 1000,
    clock,
    ...options,
  } as never);
  const changes: string[] = [];
  b.on('state:changed', (e) => changes.push(`${e.from}->${e.to}:${e.reason}`));
  return { b, clock, changes };
}

/**
 * Records how calls end, in the order they end: `track('a', p)` adds `a:ok` or `a:<error name>`
 * to `outcomes`.
 */
export function outcomeLog(): {
  outcomes: string[];
  track: (label: string, p: Promise<unknown>) => Promise<unknown>;
} {
  const outcomes: string[] = [];
  const track = (label: string, p: Promise<unknown>) =>
    p.then(
      () => outcomes.push(`${label}:ok`),
      (e: unknown) => outcomes.push(`${label}:${(e as Error).name}`),
    );
  return { outcomes, track };
}

/** Moves the fake timers and the breaker's fake clock on together by `ms`. */
export async function advanceBoth(clock: FakeClock, ms: number): Promise<void> {
  await vi.advanceTimersByTimeAsync(ms);
  clock.advance(ms);
}
