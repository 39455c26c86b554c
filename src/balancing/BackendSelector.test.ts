// The pick path and the backend states behind it: routing hints checked, a strategy that
// answers out of turn refused, and `backend:down`/`backend:up` only on real changes.
import { describe, expect, it } from 'vitest';
import { expectInvalidOption } from '../../test/helpers/expectInvalidOption.js';
import { ClosedError, NoTargetError, type PickCandidate, type Picker } from '../core/index.js';
import { FakeClock } from '../testing/index.js';
import { LoadBalancer } from './LoadBalancer.js';
import { RoundRobinPicker } from './RoundRobinPicker.js';

const backends = (...ids: string[]) => ids.map((id) => ({ id, target: id }));

function expectNoTarget(act: () => unknown, message: string): void {
  let caught: unknown;
  try {
    act();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(NoTargetError);
  expect(caught).toMatchObject({
    code: 'ERR_LOADSTONE_NO_TARGET',
    message: `No target available: ${message}`,
  });
}

describe('routing hints', () => {
  const lb = new LoadBalancer({ backends: backends('a'), strategy: new RoundRobinPicker() });

  it('rejects a group that is not a non-empty string', () => {
    for (const group of ['', 1, null]) {
      expectInvalidOption(() => lb.pick({ group: group as never }), 'ctx.group', 'a non-empty string');
    }
  });

  it('rejects a hint it does not know (a typo), on pick and on run', async () => {
    expectInvalidOption(() => lb.pick({ grop: 'premium' } as never), 'ctx.grop', 'absent: it is not');
    const error = await lb.run(() => 1, { grop: 'premium' } as never).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ERR_LOADSTONE_INVALID_OPTION', option: 'options.grop' });
  });

  it('rejects an exclude list that is not an array of ids', () => {
    for (const exclude of ['a', [1], ['a', null]]) {
      expectInvalidOption(
        () => lb.pick({ exclude: exclude as never }),
        'ctx.exclude',
        'an array of backend ids',
      );
    }
    expect(lb.pick({ exclude: [] }).id).toBe('a');
  });
});

describe('a strategy that does not choose a backend that is up', () => {
  function withStrategy(choose: (candidates: readonly PickCandidate[]) => PickCandidate | undefined) {
    const strategy: Picker = { pick: (candidates) => choose(candidates) as never };
    return new LoadBalancer({ backends: backends('a', 'b'), strategy });
  }

  it('makes the pick fail with NoTargetError, counted in stats', () => {
    const none = withStrategy(() => undefined);
    expectNoTarget(() => none.pick(), 'the strategy chose no backend that is up');
    const copy = withStrategy((candidates) => ({ ...candidates[0] }) as PickCandidate);
    expectNoTarget(() => copy.acquire(), 'the strategy chose no backend that is up');
    const stranger = withStrategy(() => ({ id: 'zz', weight: 1, inFlight: 0 }));
    expectNoTarget(() => stranger.pick(), 'the strategy chose no backend that is up');
    expect([none, copy, stranger].map((lb) => lb.stats())).toMatchObject([
      { noTarget: 1, requests: 0 },
      { noTarget: 1, requests: 0, inFlight: 0 },
      { noTarget: 1 },
    ]);
  });

  it('refuses a candidate kept from an earlier pick once its backend is down', () => {
    let kept: PickCandidate | undefined;
    const lb = withStrategy((candidates) => {
      kept ??= candidates[0];
      return kept;
    });
    expect(lb.pick().id).toBe('a');
    lb.markDown('a');
    expectNoTarget(() => lb.pick(), 'the strategy chose no backend that is up');
  });
});

describe('no backend up', () => {
  it('says how many backends there are', () => {
    const lb = new LoadBalancer({ backends: backends('a', 'b'), strategy: new RoundRobinPicker() });
    lb.markDown('a');
    lb.markDown('b');
    expectNoTarget(() => lb.pick(), 'all 2 backends are down or ejected');
    expectNoTarget(() => lb.pick({ group: 'g', exclude: ['a'] }), 'all 2 backends are down or ejected');
    expect(lb.stats().noTarget).toBe(2);
  });

  it('is not the case once a backend is removed, or when closed', () => {
    const lb = new LoadBalancer({ backends: backends('a', 'b'), strategy: new RoundRobinPicker() });
    expect(lb.pick().id).toBe('a');
    lb.remove('b');
    expect([lb.pick().id, lb.pick().id, lb.pick({ group: 'g' }).id]).toEqual(['a', 'a', 'a']);
    void lb.close();
    expect(() => lb.pick()).toThrow(ClosedError);
    expect(() => lb.pick()).toThrow('LoadBalancer is closed');
  });
});

describe('state change events', () => {
  function setup() {
    const clock = new FakeClock();
    const lb = new LoadBalancer({
      backends: backends('a', 'b'),
      strategy: new RoundRobinPicker(),
      outlierDetection: { consecutiveFailures: 1, baseEjectionMs: 1_000 },
      clock,
    });
    const events: unknown[] = [];
    lb.on('backend:down', (e) => events.push({ down: e }));
    lb.on('backend:up', (e) => events.push({ up: e }));
    const failOnA = () => lb.acquire({ exclude: ['b'] }).release('failure');
    return { clock, lb, events, failOnA };
  }

  it('are not emitted when the state does not change', () => {
    const { lb, events } = setup();
    lb.markUp('a');
    lb.markDown('b');
    lb.markDown('b');
    expect(events).toStrictEqual([{ down: { id: 'b', reason: 'manual' } }]);
  });

  it('go from ejected to down silently, and from down to up with the reason that brought it back', () => {
    const { lb, events, failOnA } = setup();
    failOnA();
    lb.markDown('a'); // ejected → down: it was not picked before either
    expect(lb.stateOf('a')).toBe('down');
    lb.markUp('a'); // also ends the ejection
    expect(lb.stateOf('a')).toBe('up');
    expect(events).toStrictEqual([
      { down: { id: 'a', reason: 'outlier-detection', durationMs: 1_000 } },
      { up: { id: 'a', reason: 'manual' } },
    ]);
  });

  it('keep a backend marked down when its ejection ends', () => {
    const { clock, lb, events, failOnA } = setup();
    failOnA();
    lb.markDown('a');
    clock.advance(1_000);
    expect(lb.stateOf('a')).toBe('down');
    expect(events).toHaveLength(1);
  });
});

describe('backends', () => {
  it('are frozen, with frozen groups', () => {
    const lb = new LoadBalancer({ backends: [{ id: 'a', target: { url: 'x' }, groups: ['g'] }] });
    const [backend] = lb.backends;
    expect(Object.isFrozen(backend)).toBe(true);
    expect(Object.isFrozen(backend?.groups)).toBe(true);
  });
});
