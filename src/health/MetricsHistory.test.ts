import { afterEach, describe, expect, it, vi } from 'vitest';
import { expectInvalidOption } from '../../test/helpers/expectInvalidOption.js';
import { CapacityExceededError, ClosedError } from '../core/errors/index.js';
import { FakeClock } from '../testing/index.js';
import { MetricsHistory } from './index.js';

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe('MetricsHistory', () => {
  it('samples every numeric field of a tracked source each interval, and answers window figures', () => {
    vi.useFakeTimers();
    const clock = new FakeClock({ startMs: 1_000_000 });
    let inUse = 0;
    const pool = {
      stats: () => ({ inUse, max: 10, closed: false, name: 'db', tiers: [{ hits: inUse * 2 }] }),
    };
    // #region history
    const history = new MetricsHistory({ intervalMs: 1_000, capacity: 300 }); // 5 minutes at 1 s
    history.track('pool', pool); // series pool.inUse, pool.max, pool.closed, pool.tiers.0.hits
    // Later, e.g. for a status page: the last minute of the pool's use.
    const lastMinute = history.window('pool.inUse', 60_000); // { count, min, mean, max, p50, p99 }
    // #endregion history
    expect(lastMinute.count).toBe(0);
    const clocked = new MetricsHistory({ intervalMs: 1_000, clock });
    clocked.track('pool', pool);
    for (let second = 1; second <= 100; second++) {
      inUse = second % 10;
      clock.advance(1_000);
      vi.advanceTimersByTime(1_000);
    }
    expect(clocked.names()).toEqual(['pool.inUse', 'pool.max', 'pool.closed', 'pool.tiers.0.hits']);
    expect(clocked.window('pool.inUse', 10_000)).toEqual({
      count: 10,
      min: 0,
      mean: 4.5,
      max: 9,
      p50: 4,
      p99: 9,
    });
    expect(clocked.window('pool.max', 60_000)).toMatchObject({ count: 60, min: 10, max: 10 });
    expect(clocked.window('pool.closed', 5_000)).toMatchObject({ max: 0 });
    expect(clocked.window('nothing', 5_000).count).toBe(0);
    expect(clocked.stats()).toMatchObject({ series: 4, samples: 400, trackedSources: 1 });
    void history.close();
    void clocked.close();
  });

  it('keeps each series in fixed memory: the newest capacity samples, whatever is recorded', () => {
    const clock = new FakeClock({ startMs: 0 });
    const history = new MetricsHistory({ capacity: 50, clock });
    for (let i = 0; i < 10; i++) history.record(`w${i}.rssBytes`, 1);
    const bytes = history.stats().bytes;
    expect(bytes).toBe(10 * 50 * 16);
    for (let i = 0; i < 10_000; i++) history.record(`w${i % 10}.rssBytes`, i, clock.advance(1));
    expect(history.stats()).toMatchObject({ bytes, samples: 500, series: 10 });
    const w3 = history.snapshot().series['w3.rssBytes'];
    expect(w3?.t).toHaveLength(50);
    expect(w3?.v.at(-1)).toBe(9_993);
  });

  it('refuses a series past maxSeries with a coded error, and counts the ones sampling could not keep', () => {
    const history = new MetricsHistory({ maxSeries: 2 });
    history.record('a', 1);
    history.record('b', 1);
    history.record('a', 2); // an existing series is never refused
    expect(() => history.record('c', 1)).toThrow(CapacityExceededError);
    expect(() => history.record('c', 1)).toThrow('MetricsHistory (maxSeries) is full (limit 2)');
    history.track('src', { stats: () => ({ x: 1, y: 2 }) });
    history.sample();
    expect(history.stats()).toMatchObject({ series: 2, seriesRefusedTotal: 4 }); // c twice, x and y
    void history.close();
  });

  it('serves its JSON (version 1) since a time: gaps as null, marks on the axis, labels as given', () => {
    const clock = new FakeClock({ startMs: 1_000 });
    const history = new MetricsHistory({ intervalMs: 500, capacity: 10, maxMarks: 2, clock });
    history.record('w0.rss', 5);
    clock.advance(500);
    history.record('w0.rss', Number.NaN); // the worker died
    history.mark('restart', '<b>w0</b>');
    clock.advance(500);
    history.record('w0.rss', 7);
    history.mark('reload', '1');
    history.mark('reload', '2'); // the oldest mark goes
    expect(history.snapshot()).toEqual({
      version: 1,
      now: 2_000,
      intervalMs: 500,
      capacity: 10,
      series: { 'w0.rss': { t: [1_000, 1_500, 2_000], v: [5, null, 7] } },
      marks: [
        { t: 2_000, kind: 'reload', label: '1' },
        { t: 2_000, kind: 'reload', label: '2' },
      ],
    });
    expect(history.snapshot({ since: 1_500 }).series).toEqual({ 'w0.rss': { t: [2_000], v: [7] } });
    expect(history.snapshot({ since: 2_000 }).series).toEqual({});
    expect(history.snapshot({ since: 1_999 }).marks).toHaveLength(2);
    expect(history.snapshot({ since: 2_000 }).marks).toEqual([]); // a mark at `since` was seen already
    expect(JSON.parse(JSON.stringify(history.snapshot()))).toEqual(history.snapshot());
  });

  it('warns once about a source whose stats() throws, counts each failure, and keeps sampling the others', () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    const history = new MetricsHistory();
    let broken = true;
    history.track('bad', {
      stats: () => {
        if (broken) throw new Error('stats bug');
        return { n: 1 };
      },
    });
    history.track('good', { stats: () => ({ n: 2 }) });
    history.sample();
    expect(warn).toHaveBeenCalledTimes(1); // at the first failure
    history.sample();
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn).toHaveBeenCalledWith(
      'stats() of bad threw: Error: stats bug',
      expect.objectContaining({ code: 'LOADSTONE_WARN_HISTORY_SOURCE_THREW' }),
    );
    broken = false;
    history.sample();
    expect(history.stats()).toMatchObject({ sampleErrorsTotal: 2 });
    expect(history.window('good.n', 60_000).count).toBe(3);
    expect(history.window('bad.n', 60_000).count).toBe(1);
    void history.close();
  });

  it('stops sampling when untracked or closed, refuses writes once closed, and stays readable', async () => {
    vi.useFakeTimers();
    const history = new MetricsHistory({ intervalMs: 100 });
    const stop = history.track('a', { stats: () => ({ n: 1 }) });
    vi.advanceTimersByTime(250);
    stop[Symbol.dispose]();
    vi.advanceTimersByTime(1_000);
    expect(history.window('a.n', 60_000).count).toBe(2);
    const again = history.track('a', { stats: () => ({ n: 2 }) }); // the name is free again
    stop[Symbol.dispose](); // the old registration's dispose leaves the new one alone
    expect(history.stats().trackedSources).toBe(1);
    again[Symbol.dispose]();
    expect(history.stats().trackedSources).toBe(0);
    await history.close();
    vi.advanceTimersByTime(1_000);
    expect(history.window('a.n', 60_000).count).toBe(2);
    expect(vi.getTimerCount()).toBe(0);
    expect(history.closed).toBe(true);
    expect(() => history.record('a.n', 1)).toThrow(ClosedError);
    expect(() => history.record('a.n', 1)).toThrow('MetricsHistory is closed');
    expect(() => history.mark('restart', 'w0')).toThrow(ClosedError);
    expect(() => history.track('b', { stats: () => ({}) })).toThrow(ClosedError);
    expect(history.snapshot().series['a.n']?.v).toEqual([1, 1]);
  });

  it('refuses bad options and arguments with coded errors', () => {
    expectInvalidOption(() => new MetricsHistory({ intervalMs: 5 }), 'options.intervalMs', 'a finite number');
    expectInvalidOption(() => new MetricsHistory({ capacity: 1 }), 'options.capacity', 'an integer');
    expectInvalidOption(() => new MetricsHistory({ maxSeries: 0 }), 'options.maxSeries', 'an integer');
    expectInvalidOption(() => new MetricsHistory({ maxMarks: 1.5 }), 'options.maxMarks', 'an integer');
    expectInvalidOption(() => new MetricsHistory({ clock: {} as never }), 'options.clock', 'a Clock');
    expectInvalidOption(() => new MetricsHistory({ interval: 1 } as never), 'options.interval', 'absent');
    const history = new MetricsHistory();
    expectInvalidOption(() => history.record('', 1), 'series', 'a non-empty string');
    expectInvalidOption(() => history.record('a', '1' as never), 'value', 'a number');
    expectInvalidOption(() => history.record('a', 1, Number.NaN), 'time', 'a finite number');
    expectInvalidOption(() => history.mark('', 'x'), 'kind', 'a non-empty string');
    expectInvalidOption(() => history.mark('restart', 3 as never), 'label', 'a string');
    expectInvalidOption(() => history.window('a', 0), 'windowMs', 'a positive number');
    expectInvalidOption(() => history.window('a', '5' as never), 'windowMs', 'a positive number');
    expectInvalidOption(() => history.snapshot({ since: '5' as never }), 'options.since', 'a number');
    expectInvalidOption(() => history.track('y', null as never), 'source', 'a MetricsSource');
    expectInvalidOption(() => history.track('x', {} as never), 'source', 'a MetricsSource');
    history.track('x', { stats: () => ({}) });
    expectInvalidOption(() => history.track('x', { stats: () => ({}) }), 'name', 'a name not tracked yet');
    expectInvalidOption(() => history.snapshot({ since: Number.NaN }), 'options.since', 'a number');
    void history.close();
  });
});
