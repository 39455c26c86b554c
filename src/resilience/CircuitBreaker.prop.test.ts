// The breaker against a plain model of its specification, over random configurations and random
// sequences of successful calls, failing calls and clock advances (calls one at a time).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CircuitOpenError } from '../core/errors/index.js';
import { FakeClock } from '../testing/FakeClock.js';
import { CircuitBreaker } from './CircuitBreaker.js';
import type { CircuitState } from './CircuitBreakerOptions.js';

type Config = {
  failureRatio: number | undefined;
  minimumCalls: number;
  windowMs: number;
  consecutiveFailures: number | undefined;
  openDurationMs: number;
};
type Command = { kind: 'success' } | { kind: 'failure' } | { kind: 'advance'; ms: number };

/** The specification, written the obvious way: every outcome kept with its time. */
class Model {
  state: CircuitState = 'closed';
  openedAt = 0;
  consecutive = 0;
  outcomes: { epoch: number; failed: boolean }[] = [];
  constructor(readonly c: Config) {}

  refresh(now: number): void {
    if (this.state === 'open' && now - this.openedAt >= this.c.openDurationMs) this.state = 'half-open';
  }

  /** @returns whether the call ran (false: refused). */
  call(now: number, failed: boolean): boolean {
    this.refresh(now);
    if (this.state === 'open') return false;
    if (this.state === 'half-open') {
      if (failed) this.open(now);
      else this.close();
      return true;
    }
    const bucketMs = this.c.windowMs / 10;
    const epoch = Math.floor(now / bucketMs);
    if (this.c.failureRatio !== undefined) this.outcomes.push({ epoch, failed });
    if (!failed) {
      this.consecutive = 0;
      return true;
    }
    this.consecutive++;
    if (this.c.consecutiveFailures !== undefined && this.consecutive >= this.c.consecutiveFailures) {
      this.open(now);
      return true;
    }
    if (this.c.failureRatio !== undefined) {
      const inWindow = this.outcomes.filter((o) => o.epoch > epoch - 10);
      const failures = inWindow.filter((o) => o.failed).length;
      if (inWindow.length >= this.c.minimumCalls && failures / inWindow.length >= this.c.failureRatio) {
        this.open(now);
      }
    }
    return true;
  }

  open(now: number): void {
    this.state = 'open';
    this.openedAt = now;
    this.consecutive = 0;
  }

  close(): void {
    this.state = 'closed';
    this.consecutive = 0;
    this.outcomes = [];
  }
}

const config: fc.Arbitrary<Config> = fc
  .record({
    failureRatio: fc.option(fc.constantFrom(0.2, 0.5, 0.75, 1), { nil: undefined }),
    minimumCalls: fc.integer({ min: 1, max: 6 }),
    windowMs: fc.integer({ min: 10, max: 1000 }),
    consecutiveFailures: fc.option(fc.integer({ min: 1, max: 5 }), { nil: undefined }),
    openDurationMs: fc.integer({ min: 0, max: 500 }),
  })
  .filter((c) => c.failureRatio !== undefined || c.consecutiveFailures !== undefined);

const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 4, arbitrary: fc.constant({ kind: 'success' } as const) },
  { weight: 3, arbitrary: fc.constant({ kind: 'failure' } as const) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 60 }).map((ms) => ({ kind: 'advance', ms }) as const) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 700 }).map((ms) => ({ kind: 'advance', ms }) as const) },
);

describe('CircuitBreaker against its model', () => {
  it('is always in the state the model is in, and refuses exactly the calls the model refuses', async () => {
    await fc.assert(
      fc.asyncProperty(config, fc.array(command, { maxLength: 150 }), async (c, commands) => {
        const clock = new FakeClock();
        const options =
          c.failureRatio === undefined
            ? { consecutiveFailures: c.consecutiveFailures as number }
            : {
                failureRatio: c.failureRatio,
                minimumCalls: c.minimumCalls,
                windowMs: c.windowMs,
                consecutiveFailures: c.consecutiveFailures,
              };
        const breaker = new CircuitBreaker({
          name: 'p',
          openDurationMs: c.openDurationMs,
          clock,
          ...options,
        });
        const model = new Model(c);
        const failure = new Error('down');
        for (const cmd of commands) {
          if (cmd.kind === 'advance') {
            clock.advance(cmd.ms);
          } else {
            const failed = cmd.kind === 'failure';
            const ran = model.call(clock.now(), failed);
            const outcome = await breaker
              .execute(async () => {
                if (failed) throw failure;
                return 1;
              })
              .then(
                () => 'ok',
                (e: unknown) =>
                  e instanceof CircuitOpenError ? 'refused' : e === failure ? 'failed' : 'other',
              );
            expect(outcome).toBe(ran ? (failed ? 'failed' : 'ok') : 'refused');
          }
          model.refresh(clock.now());
          expect(breaker.state).toBe(model.state);
        }
      }),
      { numRuns: 300, interruptAfterTimeLimit: 15_000, markInterruptAsFailure: true },
    );
  });
});
