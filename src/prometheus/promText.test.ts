// Tests of test/helpers/promText.ts, the strict text-format parser the Prometheus tests (and the
// examples' smoke tests) read scrapes with: it must read what prom-client writes and refuse junk.
import { Counter, Gauge, Histogram, Registry, Summary } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { parsePrometheusText, samplesOf, sampleValue } from '../../test/helpers/promText.js';

describe('parsePrometheusText', () => {
  it('reads what prom-client writes: escapes, summaries, histograms, NaN', async () => {
    const registry = new Registry();
    const counter = new Counter({
      name: 'c_total',
      help: 'back\\slash and\nnewline',
      labelNames: ['x'],
      registers: [registry],
    });
    counter.inc({ x: 'q"uo\\te\nnl' }, 3);
    counter.inc({ x: 'plain' });
    const summary = new Summary({ name: 's_seconds', help: 's', registers: [registry], percentiles: [0.5] });
    summary.observe(1);
    summary.observe(3);
    const histogram = new Histogram({ name: 'h', help: 'h', registers: [registry], buckets: [1] });
    histogram.observe(0.5);
    new Gauge({ name: 'g', help: 'g', registers: [registry] }).set(Number.NaN);

    const families = parsePrometheusText(await registry.metrics());
    expect(families.get('c_total')).toMatchObject({ type: 'counter', help: 'back\\slash and\nnewline' });
    expect(sampleValue(families, 'c_total', { x: 'q"uo\\te\nnl' })).toBe(3);
    expect(sampleValue(families, 'c_total')).toBe(4); // the sum over matching series
    expect(families.get('s_seconds')?.samples.map((s) => s.name)).toEqual([
      's_seconds',
      's_seconds_sum',
      's_seconds_count',
    ]);
    expect(sampleValue(families, 's_seconds_sum')).toBe(4);
    expect(sampleValue(families, 'h_bucket', { le: '+Inf' })).toBe(1);
    expect(sampleValue(families, 'g')).toBeNaN();
    expect(samplesOf(families, 'c_total', { x: 'nope' })).toEqual([]);
    expect(sampleValue(families, 'missing')).toBeUndefined();
  });

  it('reads untyped samples, comments, timestamps, +Inf/-Inf and a trailing comma', () => {
    const families = parsePrometheusText('# a comment\nup{job="a",} 1 1700000000000\nx +Inf\ny -Inf\n');
    expect(families.get('up')).toEqual({
      type: 'untyped',
      help: '',
      samples: [{ name: 'up', labels: { job: 'a' }, value: 1 }],
    });
    expect(sampleValue(families, 'x')).toBe(Number.POSITIVE_INFINITY);
    expect(sampleValue(families, 'y')).toBe(Number.NEGATIVE_INFINITY);
  });

  it.each([
    ['an unknown type', '# TYPE a countr\n'],
    ['a duplicate TYPE', '# TYPE a gauge\n# TYPE a gauge\n'],
    ['a TYPE after samples', 'a 1\n# TYPE a gauge\n'],
    ['a bad value', 'a one\n'],
    ['a missing value', 'a\n'],
    ['an unterminated label value', 'a{b="c} 1\n'],
    ['a bad escape', 'a{b="\\t"} 1\n'],
    ['a label without quotes', 'a{b=c} 1\n'],
    ['a duplicate label', 'a{b="1",b="2"} 1\n'],
    ['a duplicate series', 'a{b="1"} 1\na{b="1"} 2\n'],
    ['text after the timestamp', 'a 1 2 3\n'],
    ['a bad metric name', '1a 1\n'],
  ])('refuses %s', (_, text) => {
    expect(() => parsePrometheusText(text)).toThrow(/^promText line \d+: /);
  });
});
